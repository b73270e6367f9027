package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.testing.FreePorts;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * --max-concurrent-uploads on the server jar over mutual TLS: with one permit, a second party's
 * upload is not read while the first is in progress (its spool file would be a second model on
 * disk), then goes through in turn; both count in the round.
 */
class UploadPermitsIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");
  private static final int VALUES = (int) ModelSpecs.totalElements(MLP);

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

  @Test
  @DisplayName("with one upload permit, the second upload waits unread until the first completes, then both are aggregated")
  void secondUploadWaitsForThePermit() throws Exception {
    TestPki pki = new TestPki(dir, "permit-job");
    int port = FreePorts.next();
    try (ServerProcess server = ServerProcess.onLoopback(dir, pki, port,
        List.of("-Dflotilla.log.level.dev.flotilla.server.UpdateReceiver=debug"), "--rounds", "1", "--min-parties", "2",
        "--model", "mlp", "--max-concurrent-uploads", "1", "--final-eval-wait", "1s")) {
      server.awaitServing(channels.open(pki, port, "probe"));
      FakeParty alice = channels.party(pki, port, "alice");
      FakeParty bob = channels.party(pki, port, "bob");
      alice.connect(100);
      bob.connect(100);
      TrainRequest t = alice.awaitTrain();
      bob.awaitTrain();
      float[][] v0 = bob.fetch(MLP, t.getModelVersion()).tensors();

      UpdateChunk header = TensorChunks.updateStream(UpdateHeader.newBuilder().setRound(t.getRound())
          .setNumSamples(100).build(), MLP, v0).next();
      StreamObserver<UpdateChunk> aliceUpload = alice.startUpload(List.of(header, floats(16, 0.5f)));
      await().atMost(Duration.ofSeconds(20)).until(() -> server.log().contains("the upload of party alice is being read"));
      CompletableFuture<SubmitUpdateResponse> bobUpload = CompletableFuture.supplyAsync(() -> {
        try {
          return bob.submit(t.getRound(), 100, Map.of(), MLP, v0);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      await().atMost(Duration.ofSeconds(20)).until(() -> server.log().contains(
          "the upload of party bob waits for one of the --max-concurrent-uploads (1 in progress, 1 waiting)"));
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> !bobUpload.isDone());

      aliceUpload.onNext(floats(VALUES - 16, 0.5f));
      aliceUpload.onCompleted();
      assertThat(bobUpload.get().getValuesReceived()).isEqualTo(VALUES);
      await().atMost(Duration.ofSeconds(30)).until(() -> server.log().contains("round 1 completed"));
      assertThat(server.log()).contains("round 1 completed: aggregated [alice, bob]");
      float[][] v1 = alice.fetch(MLP, 1).tensors();
      assertThat(v1[0][0]).isEqualTo((0.5f + v0[0][0]) / 2, org.assertj.core.data.Offset.offset(1e-6f));
    }
  }
}
