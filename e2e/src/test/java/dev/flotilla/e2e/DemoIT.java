package dev.flotilla.e2e;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static dev.flotilla.testing.RealServer.PYTORCH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.demo.ChildProcess;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.demo.ProcessGroup;
import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.testing.PythonProbe;
import dev.flotilla.testing.RequiresRealServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRealServers(FASHION_MNIST)
@DisplayName("bin/flotilla demo")
class DemoIT {

  /** float32 weights of the MLP: 784*200 + 200 + 200*200 + 200 + 200*10 + 10. */
  static final long MLP_BYTES = 4L * (784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10);

  private final FlotillaJars jars = Federations.jars();

  private ChildProcess startDemo(ProcessGroup group, Path dir, String... args) {
    jars.requirePresent("demo", "aggregator-server", "party");
    List<String> command = new java.util.ArrayList<>(jars.javaCommand("demo", List.of(), List.of(args)));
    command.addAll(List.of("--dir", dir.resolve("work").toString()));
    return group.start("demo", command, dir, Map.of(FlotillaJars.HOME_VARIABLE, jars.root().toString()));
  }

  @Test
  @DisplayName("the demo runs a 2-round federation as processes over mTLS and writes a report with every field, sane, "
      + "with each round's training, evaluation and protocol time")
  void reportIsComplete(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("report.json");
    long started = System.nanoTime();
    try (ProcessGroup group = new ProcessGroup(dir.resolve("logs"))) {
      ChildProcess demo = startDemo(group, dir, "--rounds", "2", "--report", report.toString());

      OptionalInt exit = demo.waitFor(10, TimeUnit.MINUTES);
      double measuredSeconds = (System.nanoTime() - started) / 1e9;
      if (exit.isEmpty() || exit.getAsInt() != 0) {
        fail("demo " + (exit.isEmpty() ? "still running" : "exited " + exit.getAsInt()) + "\n" + demo.tail(80));
      }

      assertThat(demo.log()).contains("round 1/2", "round 2/2", "final accuracy");
      JsonObject json = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
      assertThat(json.keySet()).contains("rounds_completed", "parties", "final_accuracy", "accuracy_per_round",
          "tls_provider", "bytes_up", "bytes_down", "wall_seconds");
      assertThat(json.get("rounds_completed").getAsInt()).isEqualTo(2);
      assertThat(json.get("parties").getAsInt()).isEqualTo(3);
      assertThat(json.get("final_accuracy").getAsDouble()).isBetween(0.5, 1.0);
      assertThat(json.getAsJsonArray("accuracy_per_round")).hasSize(2)
          .allSatisfy(a -> assertThat(a.getAsDouble()).isBetween(0.1, 1.0));
      assertThat(json.get("tls_provider").getAsString()).isEqualTo("BoringSSL");
      // every party fetched and uploaded the whole model each round, at least
      assertThat(json.get("bytes_up").getAsLong()).isGreaterThanOrEqualTo(2 * 3 * MLP_BYTES);
      assertThat(json.get("bytes_down").getAsLong()).isGreaterThanOrEqualTo(2 * 3 * MLP_BYTES);
      assertThat(json.get("wall_seconds").getAsDouble()).isPositive().isLessThanOrEqualTo(measuredSeconds);
      // each round's time split as the parties measured it: training and evaluation took time, protocol is the rest
      assertThat(json.getAsJsonArray("round_times")).hasSize(2).allSatisfy(t -> {
        JsonObject round = t.getAsJsonObject();
        double duration = round.get("duration_seconds").getAsDouble();
        assertThat(round.get("training_seconds").getAsDouble()).isPositive().isLessThanOrEqualTo(duration);
        assertThat(round.get("evaluation_seconds").getAsDouble()).isPositive();
        assertThat(round.get("protocol_seconds").getAsDouble()).isGreaterThanOrEqualTo(0);
      });
      assertThat(demo.log()).containsPattern("round 2/2 .* time [0-9.]+ s \\(training [0-9.]+ s, evaluation [0-9.]+ s, "
          + "protocol [0-9.]+ s\\)");
      assertThat(processesUsing(dir)).as("processes left behind").isEmpty();
    }
  }

  @Test
  @RequiresRealServers(PYTORCH)
  @DisplayName("with --trainer-command every party trains in the PyTorch example, and --export writes the final model "
      + "in the job's layout")
  void ownTrainerAndExport(@TempDir Path dir) throws Exception {
    Path trainer = ExternalTrainerAcceptanceIT.copyExample(dir.resolve("trainer"));
    Path exported = dir.resolve("final.safetensors");
    Path report = dir.resolve("report.json");
    try (ProcessGroup group = new ProcessGroup(dir.resolve("logs"))) {
      ChildProcess demo = startDemo(group, dir, "--rounds", "1", "--model", "mlp", "--partition", "iid",
          "--eval-samples", "2000", "--trainer-command", PythonProbe.PYTHON + " " + trainer.resolve("fashion_mnist.py"),
          "--export", exported.toString(), "--report", report.toString(), "--keep-dir");

      OptionalInt exit = demo.waitFor(10, TimeUnit.MINUTES);
      if (exit.isEmpty() || exit.getAsInt() != 0) {
        fail("demo " + (exit.isEmpty() ? "still running" : "exited " + exit.getAsInt()) + "\n" + demo.tail(80));
      }

      assertThat(demo.log()).contains("trainer       " + PythonProbe.PYTHON, "final model      " + exported);
      for (int party = 1; party <= 3; party++) {
        // the party's own log line for each run of the command (ExternalTrainer)
        assertThat(dir.resolve("work/logs/party-" + party + ".log")).content()
            .contains("trainer command describe", "trainer command train", "trainer command evaluate");
      }
      JsonObject json = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
      assertThat(json.get("final_accuracy").getAsDouble()).isGreaterThan(0.7);
      ModelFile model = Safetensors.read(exported);
      assertThat(model.layout()).containsExactlyElementsOf(ModelSpecs.forName("mlp"));
    }
  }

  @Test
  @DisplayName("stopping the demo mid-run (SIGTERM) ends its server and parties: no orphan processes")
  void noOrphans(@TempDir Path dir) {
    try (ProcessGroup group = new ProcessGroup(dir.resolve("logs"))) {
      ChildProcess demo = startDemo(group, dir, "--rounds", "20");
      await("the demo started its parties").atMost(Duration.ofMinutes(3))
          .failFast("the demo exited", () -> !demo.isAlive())
          .until(() -> demo.log().contains("parties started"));
      assertThat(processesUsing(dir)).hasSizeGreaterThanOrEqualTo(4);

      demo.process().destroy(); // SIGTERM to the demo only: its own shutdown must end the children
      assertThat(demo.waitFor(30, TimeUnit.SECONDS)).isPresent();

      await("the server and parties ended").atMost(Duration.ofSeconds(30))
          .until(() -> processesUsing(dir).isEmpty());
    }
  }

  /** Live processes other than the demo whose command line names something under {@code dir}. */
  static List<ProcessHandle> processesUsing(Path dir) {
    String marker = dir.resolve("work").toString();
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().arguments().map(args -> String.join(" ", args).contains(marker + "/")).orElse(false))
        .toList();
  }
}
