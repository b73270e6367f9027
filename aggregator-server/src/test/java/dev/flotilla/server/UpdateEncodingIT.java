package dev.flotilla.server;

import static dev.flotilla.server.GrpcAssertions.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.WireEncoding;
import dev.flotilla.protocol.v1.Encoding;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.testing.FreePorts;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A job with a 2-byte update encoding, on the server jar over mutual TLS, with scripted parties:
 * Join announces the encoding; two parties upload in it (2 bytes a value, in chunks of the
 * chunker's size and in small chunks of odd value counts), a third in float32 is refused with
 * INVALID_ARGUMENT naming both encodings, and the round completes with the two at its first
 * attempt; the new global model is, value by value, FedAvg's weighted mean of the rounded updates.
 */
class UpdateEncodingIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  private static float[][] noisy(float[][] base, long seed) {
    Random random = new Random(seed);
    float[][] out = new float[base.length][];
    for (int t = 0; t < base.length; t++) {
      out[t] = new float[base[t].length];
      for (int i = 0; i < base[t].length; i++) {
        out[t][i] = base[t][i] + (float) (random.nextGaussian() * 0.01);
      }
    }
    return out;
  }

  /** The update's stream in the encoding, its data cut into chunks of {@code valuesPerChunk} values. */
  private static List<UpdateChunk> stream(int round, long samples, Encoding encoding, float[][] weights,
      int valuesPerChunk) {
    UpdateHeader header = UpdateHeader.newBuilder().setRound(round).setNumSamples(samples).setEncoding(encoding).build();
    List<UpdateChunk> chunks = new ArrayList<>();
    chunks.add(TensorChunks.updateStream(header, MLP, weights).next());
    TensorChunks.dataChunks(weights, valuesPerChunk * WireEncoding.of(encoding).bytesPerValue(), WireEncoding.of(encoding))
        .forEachRemaining(data -> chunks.add(UpdateChunk.newBuilder().setData(data).build()));
    return chunks;
  }

  @ParameterizedTest
  @EnumSource(value = WireEncoding.class, names = {"BFLOAT16", "FLOAT16"})
  @DisplayName("Join announces the job's encoding; a float32 update is refused with INVALID_ARGUMENT naming both encodings while the round completes with the others, whose rounded updates the new model averages exactly")
  void roundInTheJobsEncoding(WireEncoding encoding) throws Exception {
    String job = "enc-" + encoding.flagName();
    TestPki pki = new TestPki(dir, job);
    int port = FreePorts.next();
    try (ServerProcess server = ServerProcess.onLoopback(dir, pki, port, "--rounds", "1", "--min-parties", "2",
        "--expected-parties", "3", "--model", "mlp", "--round-timeout", "60s", "--final-eval-wait", "2s",
        "--join-grace", "5s", "--update-encoding", encoding.flagName())) {
      server.awaitServing(channels.open(pki, port, "probe"));
      FakeParty alice = channels.party(pki, port, "alice");
      FakeParty bob = channels.party(pki, port, "bob");
      FakeParty mallory = channels.party(pki, port, "mallory");
      JoinResponse joined = alice.connect(100);
      assertThat(joined.getUpdateEncoding()).isEqualTo(encoding.proto());
      bob.connect(300);
      mallory.connect(100);
      TrainRequest t = alice.awaitTrain();
      bob.awaitTrain();
      mallory.awaitTrain();
      float[][] v0 = alice.fetch(MLP, t.getModelVersion()).tensors();
      float[][] a = noisy(v0, 1);
      float[][] b = noisy(v0, 2);

      assertRefused(() -> mallory.submitRaw(stream(t.getRound(), 100, Encoding.FLOAT32, a, 1 << 18)),
          Status.Code.INVALID_ARGUMENT, "update of party 'mallory' is encoded as FLOAT32 but job " + job + " takes "
              + encoding.proto() + " updates (--update-encoding " + encoding.flagName() + ", announced at Join)");
      SubmitUpdateResponse accepted = alice.submitRaw(stream(t.getRound(), 100, encoding.proto(), a, 1 << 19));
      bob.submitRaw(stream(t.getRound(), 300, encoding.proto(), b, 4099));
      assertThat(accepted.getValuesReceived()).isEqualTo(ModelSpecs.totalElements(MLP));

      RoundEvent finished = alice.nextEvent();
      assertThat(finished.hasFinished()).as(finished.toString()).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> server.log().contains("round 1 completed"));
      assertThat(server.log()).contains("round 1 completed: aggregated [alice, bob]")
          .doesNotContain("attempt 1 failed")
          .contains("refused: INVALID_ARGUMENT update of party 'mallory' is encoded as FLOAT32");

      float[][] v1 = alice.fetch(MLP, finished.getFinished().getModelVersion()).tensors();
      int differFromFloat32Mean = 0;
      int values = 0;
      for (int tensor = 0; tensor < MLP.size(); tensor++) {
        float[] expected = new float[a[tensor].length];
        for (int i = 0; i < expected.length; i++) {
          expected[i] = (float) ((100.0 * encoding.round(a[tensor][i]) + 300.0 * encoding.round(b[tensor][i])) / 400.0);
          if (expected[i] != (float) ((100.0 * a[tensor][i] + 300.0 * b[tensor][i]) / 400.0)) {
            differFromFloat32Mean++;
          }
        }
        assertThat(v1[tensor]).as(MLP.get(tensor).name()).containsExactly(expected);
        values += expected.length;
      }
      assertThat(differFromFloat32Mean).as("values the rounding changed").isGreaterThan(values / 2);
    }
  }
}
