package dev.flotilla.party.train.external;

import static dev.flotilla.protocol.status.MetricNames.EVAL_SECONDS;
import static dev.flotilla.protocol.status.MetricNames.TRAIN_SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.party.train.Evaluation;
import dev.flotilla.party.train.LocalUpdate;
import dev.flotilla.party.train.RoundContext;
import dev.flotilla.party.train.TrainerException;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The external-trainer contract against a real Python command that behaves or misbehaves on purpose. */
class ExternalTrainerCommandIT {
  static final String PYTHON = "/usr/bin/python3";
  static final List<TensorSpec> LAYOUT = List.of(
      new TensorSpec("fc1.weight", new long[] {3, 4}),
      new TensorSpec("fc1.bias", new long[] {3}),
      new TensorSpec("bn.num_batches_tracked", new long[] {}, DType.I64),
      new TensorSpec("fc2.weight", new long[] {2, 3}),
      new TensorSpec("fc2.bias", new long[] {2}));
  static final TrainingOptions OPTIONS = new TrainingOptions(2, 16, 0.05f, 0.5f, 0.1f, 987654321L);
  static final RoundContext ROUND = new RoundContext("fmnist", "alice", 2, 1, 5);

  @TempDir Path dir;
  Path script;
  Path workDir;

  @BeforeEach
  void copyScript() throws IOException {
    script = dir.resolve("test_trainer.py");
    try (InputStream in = ExternalTrainerCommandIT.class.getResourceAsStream("test_trainer.py")) {
      Files.copy(in, script);
    }
    workDir = dir.resolve("work");
  }

  ExternalTrainer trainer(String mode, Duration timeout) throws IOException {
    ExternalTrainer trainer = new ExternalTrainer(new ExternalTrainerSettings(
        PYTHON + " " + script + " " + mode, timeout, workDir, Path.of("/data/fmnist"), null, "dirichlet:0.5", 1, 3,
        42, null, 500, new TrainingOptions(1, 32, 0.01f, 0.9f, 0, 7), List.of(dir.resolve("tls.key"))));
    trainer.prepare("mlp:4-3-2", LAYOUT);
    return trainer;
  }

  ExternalTrainer trainer(String mode) throws IOException {
    return trainer(mode, Duration.ofMinutes(2));
  }

  static float[][] global() {
    return new float[][] {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {0.5f, -0.5f, 0.25f}, {41}, {1, 2, 3, 4, 5, 6}, {-1, -2}};
  }

  static JsonObject json(Path file) throws IOException {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  @Test
  @DisplayName("describe: the command gets round.json's absolute path as its last argument, runs in describe-0-1/, and its num_samples is returned")
  void describe() throws Exception {
    try (ExternalTrainer trainer = trainer("ok")) {
      assertThat(trainer.trainingSamples(RoundContext.beforeRounds("fmnist", "alice"))).isEqualTo(123);
    }
    Path round = workDir.resolve("describe-0-1");
    JsonObject seen = json(round.resolve("seen.json"));
    assertThat(seen.get("cwd").getAsString()).isEqualTo(round.toString());
    assertThat(seen.getAsJsonArray("argv").asList()).last().hasToString("\"" + round.resolve("round.json") + "\"");
    JsonObject r = json(round.resolve("round.json"));
    assertThat(r.get("format").getAsInt()).isEqualTo(1);
    assertThat(r.get("action").getAsString()).isEqualTo("describe");
    assertThat(r.get("job").getAsString()).isEqualTo("fmnist");
    assertThat(r.get("party").getAsString()).isEqualTo("alice");
    assertThat(r.get("round").getAsInt()).isZero();
    assertThat(r.has("global_model")).isFalse();
    assertThat(r.has("output_model")).isFalse();
    assertThat(r.get("output_result").getAsString()).isEqualTo(round.resolve("result.json").toString());
    assertThat(r.get("data").getAsString()).isEqualTo("/data/fmnist");
    assertThat(r.get("test_data").isJsonNull()).isTrue();
    assertThat(r.get("max_samples").isJsonNull()).isTrue();
    assertThat(r.get("eval_samples").getAsInt()).isEqualTo(500);
    assertThat(r.getAsJsonObject("partition").toString())
        .isEqualTo("{\"scheme\":\"dirichlet:0.5\",\"index\":1,\"count\":3,\"seed\":42}");
  }

  @Test
  @DisplayName("train: the global model is written as safetensors, the update (written in another order) comes back in layout order with the result's metrics")
  void train() throws Exception {
    LocalUpdate update;
    try (ExternalTrainer trainer = trainer("ok")) {
      update = trainer.train(ROUND, global(), OPTIONS);
    }
    float[][] expected = global();
    for (float[] tensor : expected) {
      for (int i = 0; i < tensor.length; i++) {
        tensor[i] += 1;
      }
    }
    assertThat(update.weights()).isDeepEqualTo(expected);
    assertThat(update.samples()).isEqualTo(123);
    assertThat(update.metrics()).containsOnlyKeys("loss", "accuracy", "train_loss", TRAIN_SECONDS, EVAL_SECONDS)
        .containsAllEntriesOf(Map.of("loss", 0.5, "accuracy", 0.75, "train_loss", 0.25));
    // the command did not say how long it evaluated: the party's measurement of the run is all training
    assertThat(update.metrics().get(TRAIN_SECONDS)).isPositive();
    assertThat(update.metrics().get(EVAL_SECONDS)).isZero();
    Path round = workDir.resolve("train-2-1");
    ModelFile written = Safetensors.read(round.resolve("global.safetensors"));
    assertThat(written.layout()).isEqualTo(LAYOUT);
    assertThat(written.values()).isDeepEqualTo(global());
    assertThat(written.model()).contains("mlp:4-3-2");
    JsonObject r = json(round.resolve("round.json"));
    assertThat(r.get("action").getAsString()).isEqualTo("train");
    assertThat(r.get("round").getAsInt()).isEqualTo(2);
    assertThat(r.get("attempt").getAsInt()).isEqualTo(1);
    assertThat(r.get("model_version").getAsLong()).isEqualTo(5);
    assertThat(r.get("model").getAsString()).isEqualTo("mlp:4-3-2");
    assertThat(r.get("global_model").getAsString()).isEqualTo(round.resolve("global.safetensors").toString());
    assertThat(r.get("output_model").getAsString()).isEqualTo(round.resolve("update.safetensors").toString());
    assertThat(r.get("epochs").getAsInt()).isEqualTo(2);
    assertThat(r.get("batch_size").getAsInt()).isEqualTo(16);
    assertThat(r.get("lr").getAsFloat()).isEqualTo(0.05f);
    assertThat(r.get("momentum").getAsFloat()).isEqualTo(0.5f);
    assertThat(r.get("proximal_mu").getAsFloat()).isEqualTo(0.1f);
    assertThat(r.get("seed").getAsLong()).isEqualTo(987654321L);
  }

  @Test
  @DisplayName("train: the party measures the run; the command's eval_seconds is the evaluation's share, at most the run")
  void trainTimes() throws Exception {
    try (ExternalTrainer trainer = trainer("eval-seconds")) {
      Map<String, Double> metrics = trainer.train(ROUND, global(), OPTIONS).metrics();
      assertThat(metrics.get(EVAL_SECONDS)).isEqualTo(0.001);
      assertThat(metrics.get(TRAIN_SECONDS)).isPositive();
    }
    try (ExternalTrainer trainer = trainer("eval-seconds-inflated")) {
      Map<String, Double> metrics = trainer.train(ROUND, global(), OPTIONS).metrics();
      // a day of evaluation claimed: clamped to the run the party measured, which leaves no training time
      assertThat(metrics.get(EVAL_SECONDS)).isPositive().isLessThan(600.0);
      assertThat(metrics.get(TRAIN_SECONDS)).isZero();
    }
  }

  @Test
  @DisplayName("evaluate: the command's metrics and sample count become the evaluation")
  void evaluate() throws Exception {
    try (ExternalTrainer trainer = trainer("ok")) {
      Evaluation evaluation = trainer.evaluate(new RoundContext("fmnist", "alice", 3, 1, 6), global());
      assertThat(evaluation.metrics()).isEqualTo(Map.of("loss", 0.5, "accuracy", 0.75, "train_loss", 0.25));
      assertThat(evaluation.samples()).isEqualTo(123);
    }
    assertThat(json(workDir.resolve("evaluate-3-1/round.json")).has("output_model")).isFalse();
  }

  @Test
  @DisplayName("a command that exits non-zero fails the round with its exit code and the end of its stderr, not its stdout")
  void failingCommand() throws Exception {
    try (ExternalTrainer trainer = trainer("fail")) {
      assertThatThrownBy(() -> trainer.train(ROUND, global(), OPTIONS))
          .isInstanceOf(TrainerException.class)
          .hasMessageContaining("[job fmnist, party alice, round 2]")
          .hasMessageContaining("train run exited with 3")
          .hasMessageContaining("ValueError: broken on purpose")
          .hasMessageNotContaining("loading data");
    }
  }

  @Test
  @DisplayName("a command that hangs is killed with the process it started when --trainer-timeout passes")
  void hangingCommandKilled() throws Exception {
    try (ExternalTrainer trainer = trainer("hang", Duration.ofSeconds(3))) {
      assertThatThrownBy(() -> trainer.train(ROUND, global(), OPTIONS))
          .isInstanceOf(TrainerException.class)
          .hasMessageContaining("round 2")
          .hasMessageContaining("timed out after PT3S (--trainer-timeout)");
    }
    Path round = workDir.resolve("train-2-1");
    long python = Long.parseLong(Files.readString(round.resolve("self.pid")).trim());
    long sleep = Long.parseLong(Files.readString(round.resolve("child.pid")).trim());
    await().atMost(Duration.ofSeconds(20)).until(() -> !running(python) && !running(sleep));
  }

  /** Whether a process exists and is not a zombie waiting for a parent that is not ours to reap it. */
  static boolean running(long pid) throws IOException {
    Path status = Path.of("/proc", Long.toString(pid), "status");
    if (!Files.exists(status)) {
      return false;
    }
    try (Stream<String> lines = Files.lines(status)) {
      return lines.noneMatch(line -> line.startsWith("State:") && line.contains("Z"));
    } catch (IOException gone) {
      return false;
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "wrong-shape    | tensor 'fc1.weight' is [3, 3] F32, the job's model has [3, 4] F32",
      "wrong-dtype    | tensor 'fc1.weight' is [3, 4] F64, the job's model has [3, 4] F32",
      "nan            | tensor 'fc1.weight' element 7 is NaN",
      "missing-tensor | 1 tensor(s) of the job's model missing: [fc1.weight]",
      "extra-tensor   | tensor 'extra.weight' is not in the job's model",
      "no-update      | update.safetensors was not written",
      "bad-accuracy   | 'metrics.accuracy' is 1.5, not in [0.0, 1.0]",
      "train-seconds  | 'metrics.train_seconds' is measured by the party around the command; leave it out",
      "huge-result    | result.json is more than the 1048576 bytes a result may have"})
  @DisplayName("a wrong output fails the round naming the round, the file and what was wrong")
  void wrongOutputRefused(String mode, String problem) throws Exception {
    try (ExternalTrainer trainer = trainer(mode)) {
      assertThatThrownBy(() -> trainer.train(ROUND, global(), OPTIONS))
          .isInstanceOf(TrainerException.class)
          .hasMessageContaining("[job fmnist, party alice, round 2]")
          .hasMessageContaining(workDir.resolve("train-2-1").toString())
          .hasMessageContaining(problem);
    }
  }

  @Test
  @DisplayName("a global model the party cannot write (NaN from a faulty server, 1e20 in an I64 counter) fails the round naming the tensor, without running the command")
  void unwritableGlobalFailsTheRound() throws Exception {
    float[][] nan = global();
    nan[0][3] = Float.NaN;
    float[][] beyondI64 = global();
    beyondI64[2][0] = 1e20f;
    try (ExternalTrainer trainer = trainer("ok")) {
      assertThatThrownBy(() -> trainer.train(ROUND, nan, OPTIONS))
          .isInstanceOf(TrainerException.class)
          .hasMessageContaining("[job fmnist, party alice, round 2]")
          .hasMessageContaining("tensor 'fc1.weight' element 3 is NaN");
      assertThatThrownBy(() -> trainer.evaluate(ROUND, beyondI64))
          .isInstanceOf(TrainerException.class)
          .hasMessageContaining("tensor 'bn.num_batches_tracked' element 0 is 1.0E20, which I64 cannot hold");
    }
    assertThat(workDir.resolve("train-2-1").resolve("seen.json")).doesNotExist();
  }

  @Test
  @DisplayName("only the last 3 round directories are kept")
  void lastRoundsKept() throws Exception {
    try (ExternalTrainer trainer = trainer("ok")) {
      for (int round = 1; round <= 5; round++) {
        trainer.train(new RoundContext("fmnist", "alice", round, 1, round - 1), global(), OPTIONS);
      }
    }
    try (Stream<Path> dirs = Files.list(workDir)) {
      assertThat(dirs.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("train-3-1", "train-4-1",
          "train-5-1");
    }
  }

  @Test
  @DisplayName("variables that name TLS material or point at the party's TLS files are not passed to the command")
  void secretsRemoved() {
    Map<String, String> environment = new HashMap<>(Map.of(
        "HOME", "/home/alice",
        "SSL_CERT_FILE", "/etc/ssl/ca.pem",
        "flotilla_tls_dir", "/pki",
        "MY_SETTINGS", "--key " + dir.resolve("tls.key"),
        "PATH", "/usr/bin"));
    TrainerProcess.removeSecrets(environment, List.of(dir.resolve("tls.key")));
    assertThat(environment).containsOnlyKeys("HOME", "PATH");
  }
}
