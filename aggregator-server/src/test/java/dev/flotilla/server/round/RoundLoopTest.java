package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.flotilla.common.logging.LogContext;
import dev.flotilla.common.logging.LogFormat;
import dev.flotilla.common.logging.LogSettings;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.ModelAssembler;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.Weights;
import dev.flotilla.server.aggregation.FedAvg;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.state.CheckpointStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The coordinator without gRPC: parties are {@link FakeLink}s, updates go straight into {@link Upload}s. */
class RoundLoopTest {

  private static final String MODEL = "mlp:3-2";
  private static final List<TensorSpec> SPECS = ModelSpecs.forName(MODEL);

  @TempDir
  Path dir;

  private Thread runner;
  private StateWriter writer;
  private final CompletableFuture<Throwable> outcome = new CompletableFuture<>();
  private final List<Throwable> fatal = new CopyOnWriteArrayList<>();

  private ServerConfig config(int rounds) {
    return ServerConfig.builder().jobId("jobL").model(MODEL).seed(3).rounds(rounds).minParties(1).expectedParties(1)
        .joinGrace(Duration.ofSeconds(5)).roundTimeout(Duration.ofSeconds(30))
        .finalEvaluationWait(Duration.ofMillis(1)).stateDir(dir.resolve("state"))
        .statusFile(dir.resolve("status.json")).build();
  }

  private RoundCoordinator start(ServerConfig config, StateWriter writer) throws Exception {
    this.writer = writer;
    RoundCoordinator c = new RoundCoordinator(config, new FedAvg(),
        new CheckpointStore(config.stateDir()), writer, new ServerMetrics(), "none", Clock.systemUTC())
        .onFatalError((job, cause) -> fatal.add(cause));
    runner = new Thread(() -> {
      try {
        c.run();
        outcome.complete(null);
      } catch (Throwable t) {
        outcome.complete(t);
      }
    }, "coordinator");
    runner.setDaemon(true);
    runner.start();
    return c;
  }

  @AfterEach
  void stop() throws Exception {
    runner.interrupt();
    runner.join(5000);
    // The writer's thread may still be renaming a status file into the @TempDir, whose clean-up then fails.
    Thread closer = new Thread(() -> {
      try {
        writer.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "writer-closer");
    closer.setDaemon(true);
    closer.start();
    closer.join(10_000);
  }

  private static ByteString floats(float[][] tensors) {
    int n = 0;
    for (float[] t : tensors) {
      n += t.length;
    }
    ByteBuffer b = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] t : tensors) {
      for (float v : t) {
        b.putFloat(v);
      }
    }
    return ByteString.copyFrom(b.array());
  }

  /** The party of {@code link} uploads {@code weights} for the round it was last asked to train. */
  private static void submit(RoundCoordinator c, String party, FakeLink link, float[][] weights) throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> link.lastTrain() != null);
    TrainRequest train = link.lastTrain();
    Upload upload = c.beginUpload(party, UpdateHeader.newBuilder().setRound(train.getRound()).setNumSamples(10)
        .addAllTensors(TensorChunks.infos(SPECS)).build());
    upload.accept(floats(weights));
    c.completeUpload(upload, upload.commit());
  }

  private static FakeLink connect(RoundCoordinator c, String party) throws Exception {
    c.join(party, JoinRequest.newBuilder().setNumSamples(10).build());
    FakeLink link = new FakeLink();
    c.openRoundsStream(party, link);
    return link;
  }

  @ParameterizedTest
  @EnumSource(LogFormat.class)
  @DisplayName("the server's log lines name its role, the job and the round, in either format")
  void logLinesNameJobRoleAndRound(LogFormat format) throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    LogFormat before = LogSettings.format();
    LogContext.clear();
    LogSettings.setFormat(format);
    LogSettings.output(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      RoundCoordinator c = start(config(1), new StateWriter("jobL", dir.resolve("status.json")));
      FakeLink alice = connect(c, "alice");
      submit(c, "alice", alice, Weights.shifted(ModelSpecs.initialWeights(MODEL, 3), 1f));
      await().atMost(Duration.ofSeconds(10)).until(() -> c.roundsCompleted() == 1);
    } finally {
      LogSettings.output(null);
      LogSettings.setFormat(before);
    }
    String completed = captured.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.contains("round 1 completed")).findFirst().orElseThrow();
    if (format == LogFormat.HUMAN) {
      assertThat(completed).matches("\\S+Z INFO  \\[server job=jobL party=- round=1\\] RoundLoop: job jobL: round 1 completed.*");
    } else {
      assertThat(completed).startsWith("{\"time\":").contains("\"level\":\"INFO\",\"role\":\"server\",\"job\":\"jobL\","
          + "\"party\":null,\"round\":1,\"logger\":\"dev.flotilla.server.round.RoundLoop\",\"message\":\"job jobL: round 1 completed");
    }
  }

  @Test
  @DisplayName("a round completes and the next one starts while the state writer is blocked; the checkpoint and the "
      + "status follow once the disk is free")
  void roundsDoNotWaitForTheDisk() throws Exception {
    StateWriter writer = new StateWriter("jobL", dir.resolve("status.json"));
    CountDownLatch disk = new CountDownLatch(1);
    writer.submit("a slow disk", () -> {
      try {
        disk.await();
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
    });
    RoundCoordinator c = start(config(2), writer);
    FakeLink alice = connect(c, "alice");
    float[][] trained = Weights.shifted(ModelSpecs.initialWeights(MODEL, 3), 1f);
    submit(c, "alice", alice, trained);

    await().atMost(Duration.ofSeconds(10)).until(() -> c.roundsCompleted() == 1);
    assertThat(c.globalModel().version()).isEqualTo(1);
    assertThat(Weights.values(c.globalModel())).as("FedAvg of one update is the update").isDeepEqualTo(trained);
    await().atMost(Duration.ofSeconds(10)).until(() -> alice.trainRequests.size() == 2);
    assertThat(alice.lastTrain().getRound()).isEqualTo(2);
    assertThat(alice.lastTrain().getModelVersion()).isEqualTo(1);
    Path checkpoint = dir.resolve("state").resolve(CheckpointStore.FILE_NAME);
    assertThat(checkpoint).as("nothing written while the disk is blocked").doesNotExist();
    assertThat(dir.resolve("status.json")).doesNotExist();

    disk.countDown();
    writer.awaitWritten();
    assertThat(new CheckpointStore(dir.resolve("state")).load().orElseThrow().roundsCompleted()).isEqualTo(1);
    assertThat(com.google.gson.JsonParser.parseString(Files.readString(dir.resolve("status.json"))).getAsJsonObject()
        .get("rounds_completed").getAsInt()).isEqualTo(1);

    submit(c, "alice", alice, Weights.shifted(trained, 1f));
    assertThat(outcome.get(20, java.util.concurrent.TimeUnit.SECONDS)).isNull();
    assertThat(alice.finished.getRoundsCompleted()).isEqualTo(2);
    assertThat(new CheckpointStore(dir.resolve("state")).load().orElseThrow().roundsCompleted())
        .as("the final checkpoint is on disk when run() returns").isEqualTo(2);
    assertThat(fatal).isEmpty();
  }

  @Test
  @DisplayName("a checkpoint that cannot be written ends the job through the fatal error handler, naming what failed")
  void failingWriterIsFatal() throws Exception {
    RoundCoordinator c = start(config(1), new StateWriter("jobL", dir.resolve("status.json")));
    // a non-empty directory where the checkpoint goes: the atomic rename onto it fails
    Files.createDirectories(dir.resolve("state").resolve(CheckpointStore.FILE_NAME).resolve("in-the-way"));
    FakeLink alice = connect(c, "alice");
    submit(c, "alice", alice, ModelSpecs.initialWeights(MODEL, 3));

    Throwable failure = outcome.get(20, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(failure).isInstanceOf(UncheckedIOException.class)
        .hasMessageStartingWith("cannot write the checkpoint of round 1: ");
    assertThat(fatal).containsExactly(failure);
  }

  @Test
  @DisplayName("a model within --inline-model-bytes rides in every TrainRequest, the late joiner's too, equal value for "
      + "value to the version it names; one byte more and the parties fetch it")
  void smallModelRidesInTheTrainRequest() throws Exception {
    long bytes = ModelSpecs.totalElements(SPECS) * Float.BYTES;
    ServerConfig config = ServerConfig.builder().jobId("jobL").model(MODEL).seed(3).rounds(2).minParties(1)
        .expectedParties(2).joinGrace(Duration.ofMillis(1)).roundTimeout(Duration.ofSeconds(30))
        .finalEvaluationWait(Duration.ofMillis(1)).stateDir(dir.resolve("state")).inlineModelBytes((int) bytes).build();
    RoundCoordinator c = start(config, new StateWriter("jobL", null));
    FakeLink alice = connect(c, "alice");
    await().atMost(Duration.ofSeconds(10)).until(() -> alice.lastTrain() != null);
    FakeLink bob = connect(c, "bob");
    for (TrainRequest t : List.of(alice.lastTrain(), bob.lastTrain())) {
      assertThat(t.getModelVersion()).isEqualTo(0);
      assertThat(ModelAssembler.fromValues(SPECS, 0, t.getModelValues()).tensors())
          .isDeepEqualTo(ModelSpecs.initialWeights(MODEL, 3));
    }
    float[][] trained = {{1, 2, 3, 4, 5, 6}, {-1, 0.5f}};
    submit(c, "alice", alice, trained);
    submit(c, "bob", bob, trained);
    await().atMost(Duration.ofSeconds(10)).until(() -> alice.trainRequests.size() == 2);
    TrainRequest second = alice.lastTrain();
    assertThat(second.getModelVersion()).isEqualTo(1);
    assertThat(ModelAssembler.fromValues(SPECS, 1, second.getModelValues()).tensors()).isDeepEqualTo(trained);
  }

  @Test
  @DisplayName("a model one byte above --inline-model-bytes is not sent along: the TrainRequest carries no values")
  void largerModelIsFetched() throws Exception {
    long bytes = ModelSpecs.totalElements(SPECS) * Float.BYTES;
    ServerConfig config = ServerConfig.builder().jobId("jobL").model(MODEL).seed(3).rounds(1).minParties(1)
        .expectedParties(1).joinGrace(Duration.ofMillis(1)).roundTimeout(Duration.ofSeconds(30))
        .finalEvaluationWait(Duration.ofMillis(1)).stateDir(dir.resolve("state")).inlineModelBytes((int) bytes - 1)
        .build();
    RoundCoordinator c = start(config, new StateWriter("jobL", null));
    FakeLink alice = connect(c, "alice");
    await().atMost(Duration.ofSeconds(10)).until(() -> alice.lastTrain() != null);
    assertThat(alice.lastTrain().getModelValues().isEmpty()).isTrue();
  }

  @Test
  @DisplayName("a party that connects while a round is open is asked to train it; one whose link drops is recorded as dropped")
  void lateJoinerAndDroppedLink() throws Exception {
    ServerConfig config = ServerConfig.builder().jobId("jobL").model(MODEL).seed(3).rounds(1).minParties(1)
        .expectedParties(2).joinGrace(Duration.ofMillis(1)).roundTimeout(Duration.ofSeconds(30))
        .finalEvaluationWait(Duration.ofMillis(1)).stateDir(dir.resolve("state")).build();
    RoundCoordinator c = start(config, new StateWriter("jobL", null));
    FakeLink alice = connect(c, "alice");
    await().atMost(Duration.ofSeconds(10)).until(() -> alice.lastTrain() != null);
    FakeLink bob = connect(c, "bob");
    assertThat(bob.lastTrain()).as("asked at once").isNotNull();
    assertThat(bob.lastTrain().getRound()).isEqualTo(1);
    bob.drop();
    submit(c, "alice", alice, ModelSpecs.initialWeights(MODEL, 3));
    assertThat(outcome.get(20, java.util.concurrent.TimeUnit.SECONDS)).isNull();
    assertThat(c.history().get(0).parties()).containsExactly("alice");
    assertThat(c.history().get(0).lateOrDropped()).containsExactly(Map.entry("bob", "dropped"));
  }

  @Test
  @DisplayName("an upload still in flight when the round's deadline passes is discarded (later chunks are "
      + "DEADLINE_EXCEEDED), its party is late, and the round is retried")
  void uploadInFlightAtTheDeadline() throws Exception {
    ServerConfig config = ServerConfig.builder().jobId("jobL").model(MODEL).seed(3).rounds(1).minParties(1)
        .expectedParties(1).joinGrace(Duration.ofSeconds(5)).roundTimeout(Duration.ofSeconds(2))
        .finalEvaluationWait(Duration.ofMillis(1)).stateDir(dir.resolve("state")).build();
    RoundCoordinator c = start(config, new StateWriter("jobL", null));
    FakeLink alice = connect(c, "alice");
    await().atMost(Duration.ofSeconds(10)).until(() -> alice.lastTrain() != null);
    Upload upload = c.beginUpload("alice", UpdateHeader.newBuilder().setRound(1).setNumSamples(10)
        .addAllTensors(TensorChunks.infos(SPECS)).build());
    upload.accept(floats(new float[][] {{1, 2, 3}}));
    await().atMost(Duration.ofSeconds(10)).until(() -> alice.trainRequests.size() == 2);
    assertThat(alice.lastTrain().getAttempt()).isEqualTo(2);
    assertThatThrownBy(() -> upload.accept(floats(new float[][] {{4, 5, 6}})))
        .isInstanceOfSatisfying(io.grpc.StatusException.class, e -> assertThat(e.getStatus().getDescription())
            .isEqualTo("round 1 of job jobL closed before the update of party 'alice' completed"));
    submit(c, "alice", alice, ModelSpecs.initialWeights(MODEL, 3));
    assertThat(outcome.get(20, java.util.concurrent.TimeUnit.SECONDS)).isNull();
    assertThat(c.history().get(0).attempts()).isGreaterThanOrEqualTo(2);
    assertThat(c.history().get(0).lateOrDropped()).containsExactly(Map.entry("alice", "late"));
  }
}
