package dev.flotilla.server.status;

import static dev.flotilla.protocol.status.MetricNames.ACCURACY;
import static dev.flotilla.protocol.status.MetricNames.EVAL_SECONDS;
import static dev.flotilla.protocol.status.MetricNames.TRAIN_SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.FakeParty;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class StatusCommandTest {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");

  @TempDir
  static Path dir;

  /** The status file of a real (in-process) job: 2 rounds, bob's round-1 update refused, final evaluations. */
  static Path stateDir;

  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    CommandLine cl = StatusCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  private static void train(FakeParty p, TrainRequest req, double accuracy, float[][] weights) throws Exception {
    p.submit(req.getRound(), 100, Map.of(ACCURACY, accuracy, TRAIN_SECONDS, 0.002, EVAL_SECONDS, 0.001), MLP, weights);
  }

  @BeforeAll
  static void runJob() throws Exception {
    stateDir = dir.resolve("state");
    try (Federation f = new Federation(ServerConfig.builder().jobId("jobS").model("mlp").seed(5).rounds(2).minParties(1)
        .expectedParties(2).joinGrace(Duration.ofSeconds(5)).roundTimeout(Duration.ofSeconds(30))
        .finalEvaluationWait(Duration.ofSeconds(20)).stateDir(stateDir)
        .statusFile(stateDir.resolve(StatusCommand.FILE_IN_STATE_DIR)).build())) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      a.connect(100);
      b.connect(100);
      TrainRequest ra = a.awaitTrain();
      TrainRequest rb = b.awaitTrain();
      float[][] global = a.fetch(MLP, 0).tensors();
      float[][] nan = a.fetch(MLP, 0).tensors();
      nan[0][3] = Float.NaN;
      assertThatThrownBy(() -> train(b, rb, 0.25, nan)).isInstanceOf(StatusRuntimeException.class);
      train(a, ra, 0.25, global);
      await().atMost(Duration.ofSeconds(20)).until(() -> f.coordinator.roundsCompleted() == 1);
      train(a, a.awaitTrain(), 0.5, global);
      train(b, b.awaitTrain(), 0.5, global);
      for (FakeParty p : List.of(a, b)) {
        assertThat(p.nextEvent().hasFinished()).isTrue();
        p.reportEvaluation(2, 0.75, 1000);
      }
      f.done.get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("status FILE prints the job, round x of y, the parties, accuracy per round, late or dropped and times")
  void summary() throws Exception {
    Result r = run(stateDir.resolve("status.json").toString());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("job jobS: finished, 2 of 2 rounds");
    assertThat(lines.get(1)).isEqualTo("  model mlp, strategy fedavg, model version 2, TLS none (in-process test)");
    assertThat(lines.get(2)).isEqualTo("  parties 2 of 2 slots (open enrollment), 0 connected: alice, bob");
    assertThat(lines.get(3)).isEqualTo("  accuracy initial 25.00%, final 75.00% (2 final evaluations)");
    assertThat(lines.get(4)).matches("  traffic [0-9.]+ MiB up, [0-9.]+ MiB down");
    assertThat(lines.get(5)).isEqualTo("  exported " + stateDir.resolve("model-final.safetensors").toAbsolutePath());
    assertThat(lines.get(6)).startsWith("  updated 20");
    assertThat(lines.get(8)).isEqualTo("round  parties    samples  accuracy   duration   training  evaluation   "
        + "protocol  aggregation  late or dropped");
    // round 1: only alice's update; the accuracy of the model it produced came with round 2's updates
    assertThat(lines.get(9)).matches(" {4}1 {8}1 {8}100 {4}50\\.00% +[0-9.]+ s {5}0\\.00 s {6}0\\.00 s +[0-9.]+ s +[0-9.]+ ms  bob");
    assertThat(lines.get(10)).matches(" {4}2 {8}2 {8}200 {4}75\\.00% +[0-9.]+ s {5}0\\.00 s {6}0\\.00 s +[0-9.]+ s +[0-9.]+ ms  -");
    assertThat(lines.get(12)).isEqualTo("late or dropped:");
    assertThat(lines.get(13)).startsWith("  round 1: bob (rejected: ").contains("is NaN");
    assertThat(lines).hasSize(14);
  }

  @Test
  @DisplayName("status --state-dir DIR reads DIR/status.json; --json prints the checked status, which reads back equal")
  void stateDirAndJson() throws Exception {
    Result r = run("--state-dir", stateDir.toString(), "--json");

    assertThat(r.code()).as(r.err()).isZero();
    JobStatus printed = StatusJson.read(r.out());
    assertThat(printed).isEqualTo(StatusJson.readFile(stateDir.resolve("status.json")));
    assertThat(printed.rounds()).allSatisfy(round -> assertThat(round.trainingSeconds()).isEqualTo(0.002));
  }

  @Test
  @DisplayName("a missing status file exits 4 (missing) with one line naming it (and, for --state-dir, how the server writes it)")
  void missing() {
    Path absent = dir.resolve("absent.json");
    Result r = run(absent.toString());
    assertThat(r.code()).isEqualTo(4);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("flotilla status: no status file at " + absent + "\n");

    Result inDir = run("--state-dir", dir.resolve("nowhere").toString());
    assertThat(inDir.code()).isEqualTo(4);
    Path expected = dir.resolve("nowhere").resolve("status.json");
    assertThat(inDir.err()).isEqualTo("flotilla status: no status file at " + expected
        + ": the server writes it there when started with --status-file " + expected + "\n");
  }

  @Test
  @DisplayName("a file that is not a status exits 6 (bad input) saying what is wrong with it")
  void notAStatus() throws Exception {
    Path file = dir.resolve("other.json");
    Files.writeString(file, "{\"job_id\": \"x\"}");

    Result r = run(file.toString());

    assertThat(r.code()).isEqualTo(6);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("flotilla status: status file " + file + " lacks the field 'model'\n");
  }

  @Test
  @DisplayName("no source, or both FILE and --state-dir, is a usage error (exit 2)")
  void usage() {
    assertThat(run().code()).isEqualTo(2);
    Result both = run(dir.resolve("a.json").toString(), "--state-dir", dir.toString());
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).startsWith("flotilla status: ").contains("mutually exclusive");
  }
}
