package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.testing.FreePorts;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: the gRPC port's connection caps are counted when a socket is accepted, before its TLS
 * handshake. The server jar runs as its own process with --max-connections 6 and
 * --max-connections-per-source 3; two honest parties connect from 127.0.0.1 and join, then sockets
 * from other loopback addresses send real ClientHellos and leave their handshakes hanging. The wire
 * shows which were admitted (a ServerHello comes back), which were closed first (not one byte), and
 * that a socket beyond the total closes the oldest hanging handshake rather than being refused;
 * the honest parties still finish their round.
 */
class ConnectionCapIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  @Test
  @DisplayName("a socket beyond the per-source cap is closed before any ServerHello; one beyond the total closes "
      + "the oldest hanging handshake and gets its ServerHello; honest parties finish their round while handshakes hang")
  void capsHoldBeforeTheHandshake() throws Exception {
    TestPki pki = new TestPki(dir, "cap-job");
    int port = FreePorts.next();
    try (ServerProcess server = ServerProcess.onLoopback(dir, pki, port, "--job-id", "cap-job",
        "--allow-party", "alice,bob", "--rounds", "2", "--min-parties", "2", "--expected-parties", "2",
        "--join-grace", "1s", "--model", "mlp", "--round-timeout", "120s", "--final-eval-wait", "1s",
        "--max-connections", "6", "--max-connections-per-source", "3",
        "--status-file", dir.resolve("status.json").toString())) {
      ManagedChannel probe = channels.open(pki, port, "alice");
      server.awaitServing(probe);
      FakeParty alice = new FakeParty(probe, "alice");
      FakeParty bob = channels.party(pki, port, "bob");
      alice.join(1000);
      bob.join(1000);
      // open now: alice's and bob's connections, both from 127.0.0.1

      List<ClientHelloSocket> hanging = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          hanging.add(new ClientHelloSocket("127.0.0.2", port));
        }
        for (ClientHelloSocket admitted : hanging) {
          assertThat(admitted.firstByte()).as("an admitted socket from 127.0.0.2 gets a ServerHello")
              .isEqualTo(ClientHelloSocket.HANDSHAKE_RECORD);
        }
        try (ClientHelloSocket fourthFromOneSource = new ClientHelloSocket("127.0.0.2", port)) {
          assertThat(fourthFromOneSource.firstByte()).as("the 4th socket from 127.0.0.2 (cap 3 per source)")
              .isEqualTo(ClientHelloSocket.CLOSED);
        }
        ClientHelloSocket sixth = new ClientHelloSocket("127.0.0.3", port);
        hanging.add(sixth);
        assertThat(sixth.firstByte()).as("the 6th socket open (cap 6), from a fresh source")
            .isEqualTo(ClientHelloSocket.HANDSHAKE_RECORD);
        ClientHelloSocket seventh = new ClientHelloSocket("127.0.0.4", port);
        hanging.add(seventh);
        assertThat(seventh.firstByte()).as("a 7th socket, from a fresh source (cap 6 in all)")
            .isEqualTo(ClientHelloSocket.HANDSHAKE_RECORD);
        assertThat(hanging.get(0).closedWithin(30_000)).as("the oldest hanging handshake, closed for the 7th").isTrue();
        assertThat(hanging.get(1).closedWithin(500)).as("the next oldest").isFalse();
        assertThat(server.log()).contains("job cap-job: gRPC connection from /127.0.0.2:")
            .contains("closed before its TLS handshake: 3 connections from 127.0.0.2 are open already "
                + "(--max-connections-per-source)")
            .contains("the oldest of the unfinished ones from 127.0.0.2, the source holding the most (3), to make room "
                + "for a new connection: 6 connections are open (--max-connections)");

        // the round goes on for the parties already connected, the hanging handshakes still open
        alice.openRounds();
        bob.openRounds();
        for (FakeParty p : List.of(alice, bob)) {
          TrainRequest t = p.nextEvent().getTrain();
          float[][] start = p.fetch(MLP, t.getModelVersion()).tensors();
          p.submit(t.getRound(), 1000, Map.of("accuracy", 0.5), MLP, start);
        }
        for (FakeParty p : List.of(alice, bob)) {
          assertThat(p.nextEvent().getTrain().getRound()).as("round 2 asked of " + p.name).isEqualTo(2);
        }
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
            assertThat(StatusJson.readFile(dir.resolve("status.json")).roundsCompleted()).isEqualTo(1));
      } finally {
        for (ClientHelloSocket socket : hanging) {
          socket.close();
        }
      }

      // closed sockets leave the count: a new one from the capped source is admitted again
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        try (ClientHelloSocket again = new ClientHelloSocket("127.0.0.2", port)) {
          assertThat(again.firstByte()).isEqualTo(ClientHelloSocket.HANDSHAKE_RECORD);
        }
      });
    }
  }
}
