package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.testing.FreePorts;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
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
 * Issue 11, finding 3: one party certificate must not be able to exhaust the aggregator. The server
 * jar runs as its own process with a bounded heap and bounded direct memory; an attacker holding a
 * valid party certificate ({@link Http2Flood}) opens SubmitUpdate streams of ~4 MiB messages that
 * never finish, while three honest parties join and run a round over mutual TLS. The test prints
 * the server's peak RSS and how long the honest Joins took during the attack.
 */
class FloodIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");
  private static final int DECLARED = 4 * 1024 * 1024 - 64;
  /** What a Join may take while the server is under attack (an idle server answers in milliseconds). */
  private static final Duration JOIN_LIMIT = Duration.ofSeconds(2);

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  @Test
  @DisplayName("a joined party's 300 never-ending 4 MiB uploads on one connection leave the server's memory bounded; "
      + "honest Joins stay fast and the round completes")
  void oneConnectionOfAMember() throws Exception {
    flood("one connection, 300 streams of 4 MiB, member", true, 1, 300, DECLARED);
  }

  @Test
  @DisplayName("a joined party's 300 never-ending uploads of 1 MiB messages (within the message limit) on one "
      + "connection leave the server's memory bounded; honest Joins stay fast and the round completes")
  void oneConnectionOfAMemberWithinTheMessageLimit() throws Exception {
    flood("one connection, 300 streams of 1 MiB, member", true, 1, 300, 1 << 20);
  }

  @Test
  @DisplayName("never-ending uploads over 20 connections of 15 streams from a party that has not joined leave the "
      + "server's memory bounded; honest Joins stay fast and the round completes")
  void manyConnectionsOfANonMember() throws Exception {
    flood("20 connections x 15 streams of 4 MiB, non-member", false, 20, 15, DECLARED);
  }

  private void flood(String variant, boolean attackerJoins, int connections, int streams, int declaredBytes)
      throws Exception {
    TestPki pki = new TestPki(dir, "flood-job");
    int port = FreePorts.next();
    try (ServerProcess server = ServerProcess.onLoopback(dir, pki, port,
        List.of("-Xmx256m", "-XX:MaxDirectMemorySize=128m"), "--job-id", "flood-job",
        "--allow-party", "alice,bob,carol,mallory", "--rounds", "2", "--min-parties", "3", "--expected-parties", "4",
        "--join-grace", "1s", "--model", "mlp", "--round-timeout", "120s", "--final-eval-wait", "1s",
        "--status-file", dir.resolve("status.json").toString())) {
      ManagedChannel probe = channels.open(pki, port, "alice");
      server.awaitServing(probe);
      if (attackerJoins) {
        channels.party(pki, port, "mallory").join(1000);
      }

      try (Http2Flood flood = new Http2Flood(pki.party("mallory"), "127.0.0.1", port, pki.serverName())) {
        flood.start(connections, streams, declaredBytes);
        // the attack is in full swing once the attacker has tried every stream of its first connections
        await().atMost(Duration.ofSeconds(60)).until(() ->
            flood.streamsOpened.get() + flood.streamsNotOpened.get() >= (long) connections * streams
                || flood.connectionsClosedByServer.get() > 0 || !server.isAlive());

        List<Long> joinMillis = new ArrayList<>();
        List<String> joinFailures = new ArrayList<>();
        List<FakeParty> honest = new ArrayList<>();
        for (String name : List.of("alice", "bob", "carol")) {
          FakeParty p = name.equals("alice") ? new FakeParty(probe, name) : channels.party(pki, port, name);
          for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            try {
              p.join(1000);
            } catch (RuntimeException e) {
              joinFailures.add(name + ": " + e.getMessage());
            }
            joinMillis.add((System.nanoTime() - t0) / 1_000_000);
          }
          honest.add(p);
        }
        boolean roundCompleted = false;
        String roundFailure = null;
        try {
          honest.forEach(FakeParty::openRounds);
          for (FakeParty p : honest) {
            RoundEvent e = p.nextEvent();
            TrainRequest t = e.getTrain();
            float[][] start = p.fetch(MLP, t.getModelVersion()).tensors();
            p.submit(t.getRound(), 1000, Map.of("accuracy", 0.5), MLP, start);
          }
          roundCompleted = true;
          for (FakeParty p : honest) {
            // round 1 is aggregated once round 2 is asked for
            roundCompleted &= p.nextEvent().getTrain().getRound() == 2;
          }
        } catch (Throwable t) {
          roundFailure = t.toString();
        }
        boolean healthy = server.isAlive() && ServerProcess.serving(probe);
        long peakRss = server.isAlive() ? server.peakRssKib() : -1;
        List<Long> sorted = joinMillis.stream().sorted().toList();
        System.out.printf("FLOOD [%s]: server peak RSS (VmHWM) %.1f MiB; honest Joins during the attack: %d, failed %d, "
                + "median %d ms, max %d ms, all %s; round completed: %s%s; healthy after: %s%n  %s%n",
            variant, peakRss / 1024.0, joinMillis.size(), joinFailures.size(), sorted.get(sorted.size() / 2),
            sorted.get(sorted.size() - 1), joinMillis, roundCompleted, roundFailure == null ? "" : " (" + roundFailure + ")",
            healthy, flood.summary());
        String log = server.log();
        System.out.printf("  server log: %d lines, %d mention OutOfDirectMemoryError; last lines:%n%s%n",
            log.lines().count(), log.lines().filter(l -> l.contains("OutOfDirectMemoryError")).count(),
            String.join("\n", log.lines().skip(Math.max(0, log.lines().count() - 15)).toList()));

        assertThat(joinFailures).as("Joins refused or timed out during the attack").isEmpty();
        assertThat(sorted.get(sorted.size() - 1)).as("slowest honest Join, ms").isLessThan(JOIN_LIMIT.toMillis());
        assertThat(roundFailure).as("the round under attack").isNull();
        assertThat(roundCompleted).isTrue();
        assertThat(healthy).as("server alive and SERVING after the attack").isTrue();
        // the state writer writes the status shortly after the round (off the round loop)
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() ->
            assertThat(StatusJson.readFile(dir.resolve("status.json")).roundsCompleted()).isEqualTo(1));
        assertThat(server.log()).doesNotContain("OutOfDirectMemoryError").doesNotContain("OutOfMemoryError");
        // --max-calls-per-connection (16) held on every connection, and the server closed the misbehaving ones
        assertThat(flood.advertisedMaxConcurrentStreams.get()).isEqualTo(16);
        assertThat(flood.connectionsClosedByServer.get()).isPositive();
        assertThat(server.log()).contains("job flood-job: closing the connection from");
      }
    }
  }
}
