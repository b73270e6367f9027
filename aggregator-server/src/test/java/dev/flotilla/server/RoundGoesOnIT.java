package dev.flotilla.server;

import static dev.flotilla.server.GrpcAssertions.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.testing.FreePorts;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * One member party cannot void a round the others uploaded to (found in review of issue 11): the
 * sender chooses its chunk sizes, so an update split into small chunks used to be folded chunk by
 * chunk, and a NaN at its end, or an upload left hanging, tainted the round; it was thrown away and
 * retried, and the honest parties trained again. The server jar over mutual TLS; the round must
 * complete at its first attempt with the honest parties.
 */
class RoundGoesOnIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  private static UpdateChunk floats(int n, float value) {
    ByteBuffer b = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      b.putFloat(value);
    }
    return UpdateChunk.newBuilder().setData(ByteString.copyFrom(b.flip())).build();
  }

  /** Runs round 1 of a 3-party job in which mallory misbehaves as {@code attack} says, and returns the server log. */
  private String roundWith(String job, String roundTimeout, Attack attack) throws Exception {
    TestPki pki = new TestPki(dir, job);
    int port = FreePorts.next();
    try (ServerProcess server = ServerProcess.onLoopback(dir, pki, port, "--rounds", "1", "--min-parties", "2",
        "--expected-parties", "3", "--model", "mlp", "--round-timeout", roundTimeout, "--final-eval-wait", "2s",
        "--join-grace", "2s")) {
      server.awaitServing(channels.open(pki, port, "probe"));
      FakeParty alice = channels.party(pki, port, "alice");
      FakeParty bob = channels.party(pki, port, "bob");
      FakeParty mallory = channels.party(pki, port, "mallory");
      alice.connect(100);
      bob.connect(100);
      mallory.connect(100);
      TrainRequest t = alice.awaitTrain();
      bob.awaitTrain();
      mallory.awaitTrain();
      float[][] v0 = alice.fetch(MLP, t.getModelVersion()).tensors();
      alice.submit(t.getRound(), 100, Map.of(), MLP, v0);
      bob.submit(t.getRound(), 100, Map.of(), MLP, v0);

      List<UpdateChunk> chunks = new ArrayList<>();
      chunks.add(TensorChunks.updateStream(UpdateHeader.newBuilder().setRound(t.getRound()).setNumSamples(100).build(),
          MLP, v0).next());
      chunks.add(floats(16, 0.5f));
      chunks.add(floats(16, 0.5f));
      attack.run(mallory, chunks);

      await().atMost(Duration.ofSeconds(60)).until(() -> server.log().contains("attempt 1 failed")
          || server.log().contains("round 1 completed"));
      String log = server.log();
      System.out.println("round 1 in the server log:\n" + log.lines().filter(l -> l.contains("round 1"))
          .reduce("", (a, b) -> a + b + "\n"));
      return log;
    }
  }

  interface Attack {
    void run(FakeParty mallory, List<UpdateChunk> headerAndTwoSmallChunks) throws Exception;
  }

  @Test
  @DisplayName("a finely chunked update refused at its end (NaN) leaves the round to the others: it completes at its first attempt")
  void refusedAtItsEnd() throws Exception {
    String log = roundWith("nan-job", "60s", (mallory, chunks) -> {
      List<UpdateChunk> evil = new ArrayList<>(chunks);
      evil.add(floats(1, Float.NaN));
      assertRefused(() -> mallory.submitRaw(evil), Status.Code.INVALID_ARGUMENT, "is NaN");
    });
    assertThat(log).contains("round 1 completed: aggregated [alice, bob]").doesNotContain("attempt 1 failed");
  }

  @Test
  @DisplayName("an upload left hanging after two chunks does not void the round: at the deadline it completes with the others")
  void hangingUpload() throws Exception {
    String log = roundWith("hang-job", "8s", (mallory, chunks) -> mallory.startUpload(chunks));
    assertThat(log).contains("round 1 completed: aggregated [alice, bob]").doesNotContain("attempt 1 failed");
  }
}
