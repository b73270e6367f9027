package dev.flotilla.server.round;

import static dev.flotilla.server.GrpcAssertions.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.FakeParty;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.Weights;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.model.HeapModel;
import dev.flotilla.server.model.TestModels;
import dev.flotilla.server.state.Checkpoint;
import dev.flotilla.server.state.CheckpointStore;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("the model is data: a job from --initial-model, its checkpoints and its exports")
class InitialModelTest {

  /** A small model in four dtypes, with a BatchNorm-like I64 counter of shape []. */
  static final List<TensorSpec> LAYOUT = List.of(
      new TensorSpec("conv.weight", new long[] {2, 1, 3, 3}),
      new TensorSpec("conv.bias", new long[] {2}, DType.F16),
      new TensorSpec("bn.num_batches_tracked", new long[] {}, DType.I64),
      new TensorSpec("fc.weight", new long[] {3, 8}, DType.BF16));

  @TempDir
  Path dir;

  static float[][] initialValues() {
    float[][] v = new float[LAYOUT.size()][];
    for (int t = 0; t < v.length; t++) {
      v[t] = new float[LAYOUT.get(t).numElements()];
      for (int i = 0; i < v[t].length; i++) {
        v[t][i] = (t + 1) * 0.25f + i * 0.125f;
      }
    }
    v[2][0] = 40;
    return v;
  }

  private Path initialModel(List<TensorSpec> layout, Map<String, String> metadata) throws Exception {
    Path file = dir.resolve("init-" + layout.hashCode() + ".safetensors");
    float[][] values = new float[layout.size()][];
    for (int t = 0; t < values.length; t++) {
      values[t] = new float[layout.get(t).numElements()];
      java.util.Arrays.fill(values[t], 1);
    }
    Safetensors.write(file, layout, layout == LAYOUT ? initialValues() : values, metadata);
    return file;
  }

  private ServerConfig.Builder config(Path initialModel) {
    return ServerConfig.builder().jobId("jobM").initialModel(initialModel).rounds(2).minParties(2).expectedParties(2)
        .joinGrace(Duration.ofSeconds(5)).roundTimeout(Duration.ofSeconds(30))
        .finalEvaluationWait(Duration.ofMillis(200)).stateDir(dir.resolve("state")).statusFile(dir.resolve("status.json"));
  }

  @Test
  @DisplayName("the file's layout and values are what parties get; its flotilla.model names the model; an update in "
      + "another dtype is refused; every round and the final model are exported with the original names, dtypes and metadata")
  void jobFromAFile() throws Exception {
    Path init = initialModel(LAYOUT, Map.of(Safetensors.MODEL_KEY, "tiny", "note", "ignored by the server"));
    float[][] v0 = Safetensors.read(init).values();
    ServerConfig cfg = config(init).exportEveryRound(true).build();
    try (Federation f = new Federation(cfg)) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      JoinResponse join = a.connect(100);
      assertThat(join.getModel()).isEqualTo("tiny");
      assertThat(join.getTensorsList()).isEqualTo(TensorChunks.infos(LAYOUT));
      b.connect(300);

      // round 1, attempt 1: bob sends float32 where the file has F16 and BF16, and is refused
      TrainRequest first = a.awaitTrain();
      b.awaitTrain();
      assertThat(a.fetch(LAYOUT, first.getModelVersion()).tensors()).isDeepEqualTo(v0);
      List<TensorSpec> asFloat32 = LAYOUT.stream().map(s -> s.withDtype(DType.F32)).toList();
      assertRefused(() -> b.submit(1, 300, Map.of(), asFloat32, v0), Status.Code.INVALID_ARGUMENT,
          "update does not match the model of " + init + " ('tiny'): tensor 'conv.bias' has dtype FLOAT32, expected FLOAT16");
      a.submit(1, 100, Map.of(), LAYOUT, Weights.shifted(v0, 1));
      // attempt 2 (one update is fewer than --min-parties): both submit; v1 = v0 + (100 * 1 + 300 * 3) / 400
      assertThat(a.awaitTrain().getAttempt()).isEqualTo(2);
      b.awaitTrain();
      a.submit(1, 100, Map.of(), LAYOUT, Weights.shifted(v0, 1));
      b.submit(1, 300, Map.of(), LAYOUT, Weights.shifted(v0, 3));
      await().atMost(Duration.ofSeconds(20)).until(() -> f.coordinator.roundsCompleted() == 1);
      float[][] v1 = Weights.values(f.coordinator.globalModel());
      a.awaitTrain();
      b.awaitTrain();
      a.submit(2, 100, Map.of(), LAYOUT, Weights.shifted(v1, -1));
      b.submit(2, 300, Map.of(), LAYOUT, Weights.shifted(v1, -1));
      f.done.get(20, TimeUnit.SECONDS);
      float[][] v2 = Weights.values(f.coordinator.globalModel());
      assertThat(v2[2][0]).isEqualTo(41.5f);

      Path exported = dir.resolve("state").resolve("model-final.safetensors");
      ModelFile last = Safetensors.read(exported);
      assertThat(last.layout()).isEqualTo(LAYOUT);
      assertThat(last.metadata()).isEqualTo(Map.of("format", "pt", "job", "jobM", "round", "2", "model_version", "2",
          Safetensors.MODEL_KEY, "tiny"));
      assertThat(last.values()[0]).as("F32 exactly").containsExactly(v2[0]);
      assertThat(last.values()[2]).as("I64 rounded half to even").containsExactly(42f);
      assertCloseTo(last.values()[1], v2[1], 1e-3); // F16
      assertCloseTo(last.values()[3], v2[3], 1e-2); // BF16
      ModelFile round1 = Safetensors.read(dir.resolve("state/models/round-0001.safetensors"));
      assertThat(round1.metadata()).containsEntry("round", "1").containsEntry("model_version", "1");
      assertThat(round1.values()[0]).containsExactly(v1[0]);
      assertThat(Safetensors.read(dir.resolve("state/models/round-0002.safetensors")).values()[0]).containsExactly(v2[0]);

      JsonObject status = JsonParser.parseString(Files.readString(dir.resolve("status.json"))).getAsJsonObject();
      assertThat(status.get("model").getAsString()).isEqualTo("tiny");
      assertThat(status.get("initial_model").getAsString()).isEqualTo(init.toAbsolutePath().toString());
      assertThat(status.get("exported_model").getAsString()).isEqualTo(exported.toAbsolutePath().toString());
      assertThat(status.get("exported_rounds_directory").getAsString())
          .isEqualTo(dir.resolve("state/models").toAbsolutePath().toString());
    }
  }

  @Test
  @DisplayName("--export puts the final model where it says, and a file without flotilla.model gives parties an empty model name")
  void exportWhereAsked() throws Exception {
    Path init = initialModel(LAYOUT, Map.of());
    Path target = dir.resolve("out/final.safetensors");
    try (Federation f = new Federation(config(init).rounds(1).exportFile(target).build())) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      assertThat(a.connect(10).getModel()).isEmpty();
      b.connect(10);
      float[][] v0 = a.fetch(LAYOUT, a.awaitTrain().getModelVersion()).tensors();
      b.awaitTrain();
      a.submit(1, 10, Map.of(), LAYOUT, v0);
      b.submit(1, 10, Map.of(), LAYOUT, v0);
      f.done.get(20, TimeUnit.SECONDS);
    }
    ModelFile exported = Safetensors.read(target);
    assertThat(exported.layout()).isEqualTo(LAYOUT);
    assertThat(exported.model()).isEmpty();
    assertThat(exported.values()).isDeepEqualTo(Safetensors.read(init).values());
    assertThat(dir.resolve("state/models")).doesNotExist();
  }

  @Test
  @DisplayName("a resume whose model differs from the checkpoint's in a shape, a dtype or a tensor is refused, naming the first difference")
  void resumeWithAnotherLayout() throws Exception {
    Checkpoint saved = new Checkpoint("jobM", "tiny", LAYOUT, "fedavg", 2, 1, 1, new HeapModel(1, LAYOUT, initialValues()), Map.of(), List.of(),
        List.of(), Map.of(), 0, 0);
    new CheckpointStore(dir.resolve("state")).save(saved);
    Path checkpoint = dir.resolve("state").resolve(CheckpointStore.FILE_NAME);

    List<TensorSpec> wider = List.of(LAYOUT.get(0), LAYOUT.get(1), LAYOUT.get(2), new TensorSpec("fc.weight", new long[] {3, 9}, DType.BF16));
    Path widerFile = initialModel(wider, Map.of());
    assertThatThrownBy(() -> coordinator(config(widerFile).build())).hasMessage("state in " + checkpoint
        + " holds another model than job jobM is given: tensor 3 is fc.weight[3, 8] BF16 in the checkpoint but "
        + "fc.weight[3, 9] BF16 in the model of " + widerFile + "; use another --state-dir or the job's model");

    List<TensorSpec> f32Bias = List.of(LAYOUT.get(0), LAYOUT.get(1).withDtype(DType.F32), LAYOUT.get(2), LAYOUT.get(3));
    Path f32File = initialModel(f32Bias, Map.of());
    assertThatThrownBy(() -> coordinator(config(f32File).build()))
        .hasMessageContaining("tensor 1 is conv.bias[2] F16 in the checkpoint but conv.bias[2] in the model of " + f32File);

    Path shorter = initialModel(LAYOUT.subList(0, 3), Map.of());
    assertThatThrownBy(() -> coordinator(config(shorter).build()))
        .hasMessageContaining("the checkpoint has 4 tensors but the model of " + shorter + " has 3 (no 'fc.weight')");

    Path same = initialModel(LAYOUT, Map.of());
    RoundCoordinator resumed = coordinator(config(same).build());
    assertThat(resumed.roundsCompleted()).isEqualTo(1);
    assertThat(Weights.values(resumed.globalModel())).isDeepEqualTo(initialValues());
  }

  @Test
  @DisplayName("a checkpoint from before layouts were recorded resumes under its built-in model and refuses another")
  void checkpointWithoutLayout() throws Exception {
    float[][] cnn = ModelSpecs.initialWeights("cnn", 5);
    new CheckpointStore(dir.resolve("state")).save(new Checkpoint("jobM", "cnn", List.of(), "fedavg", 2, 1, 1, TestModels.of(1, cnn),
        Map.of(), List.of(), List.of(), Map.of(), 0, 0));
    ServerConfig.Builder builtIn = config(null).model("cnn");
    assertThat(Weights.values(coordinator(builtIn.build()).globalModel())).isDeepEqualTo(cnn);
    assertThatThrownBy(() -> coordinator(config(null).model("mlp").build()))
        .hasMessageContaining("tensor 0 is conv1.weight[6, 1, 5, 5] in the checkpoint but fc1.weight[200, 784] in model 'mlp'");
  }

  private static RoundCoordinator coordinator(ServerConfig cfg) throws Exception {
    return new RoundCoordinator(cfg, dev.flotilla.server.ServerModule.strategyOf(cfg),
        new CheckpointStore(cfg.stateDir()), new ServerMetrics(), "none", Clock.systemUTC());
  }

  private static void assertCloseTo(float[] actual, float[] expected, double relative) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual[i]).isCloseTo(expected[i], org.assertj.core.api.Assertions.within(Math.abs(expected[i]) * relative));
    }
  }
}
