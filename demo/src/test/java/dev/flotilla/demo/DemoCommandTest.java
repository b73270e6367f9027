package dev.flotilla.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DemoCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine commandLine = DemoCommand.commandLine();
    commandLine.setOut(new PrintWriter(out));
    commandLine.setErr(new PrintWriter(err));
    return commandLine.execute(args);
  }

  @Test
  @DisplayName("--help lists the demo's flags, its own-model flags included")
  void help() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("--parties", "--rounds", "--model", "--strategy", "--report", "--data", "--keep-dir",
        "--initial-model", "--trainer-command", "--test-data", "--eval-samples", "--party-option", "--partition",
        "--export", "--update-encoding");
  }

  @Test
  @DisplayName("--update-encoding takes float32, bf16 or fp16; anything else is refused before anything starts")
  void updateEncoding() {
    assertThat(run("--update-encoding", "int8")).isEqualTo(2);
    assertThat(err.toString()).contains("option '--update-encoding': update encoding 'int8' is not one of [float32, bf16, fp16]");
  }

  @Test
  @DisplayName("without --data, a missing Fashion-MNIST is a one-line error naming the command that installs it, exit 4")
  void missingDataset(@TempDir Path empty) {
    assertThatThrownBy(() -> DemoCommand.requireDataset(empty))
        .hasMessageStartingWith("Fashion-MNIST not found in " + empty)
        .hasMessageContainingAll("install it with: sudo apt-get install -y dataset-fashion-mnist", "train-images-idx3-ubyte")
        .hasMessageNotContaining("\n")
        .isInstanceOfSatisfying(dev.flotilla.cli.CommandFailure.class,
            f -> assertThat(f.exitCode()).isEqualTo(dev.flotilla.cli.ExitCode.MISSING));
  }

  @Test
  @DisplayName("--data, --test-data and --initial-model that do not exist are refused before anything starts, exit 4")
  void missingPaths(@TempDir Path dir) {
    Path missing = dir.resolve("nothing-here");
    assertThat(run("--data", missing.toString())).isEqualTo(4);
    assertThat(err.toString()).contains("--data " + missing + ": no such file or directory");
    assertThat(run("--initial-model", missing.toString())).isEqualTo(4);
    assertThat(err.toString()).contains("--initial-model " + missing + ": no such file or directory");
    assertThat(run("--test-data", missing.toString())).isEqualTo(4);
    assertThat(err.toString()).contains("--test-data " + missing + ": no such file or directory");
  }

  @Test
  @DisplayName("own-model options become the federation's settings: initial model, trainer command, data options")
  void ownModelSettings(@TempDir Path dir) throws Exception {
    Path model = Files.writeString(dir.resolve("model.safetensors"), "x");
    DemoCommand command = new DemoCommand();
    DemoCommand.commandLine(command).parseArgs("--initial-model", model.toString(), "--trainer-command", "python3 /t.py --x",
        "--eval-samples", "500", "--test-data", dir.toString(), "--party-option", "label-column=target",
        "--partition", "iid", "--export", dir.resolve("final.safetensors").toString());

    LocalFederation.Settings settings = command.settings(dir, "iid");

    assertThat(settings.model()).isNull();
    assertThat(command.modelLabel()).isEqualTo("model.safetensors");
    assertThat(settings.initialModel()).isEqualTo(model.toAbsolutePath());
    assertThat(settings.trainerCommand()).isEqualTo("python3 /t.py --x");
    assertThat(settings.partition()).isEqualTo("iid");
    // the shared SGD settings go to every party, then the demo's own party flags
    assertThat(settings.partyExtraArgs).containsExactly(Map.entry("--momentum", "0.9"), Map.entry("--weight-decay", "0.0"),
        Map.entry("--test-data", dir.toAbsolutePath().toString()),
        Map.entry("--eval-samples", "500"), Map.entry("--label-column", "target"));
    assertThat(settings.serverExtraArgs).containsExactly(
        Map.entry("--export", dir.resolve("final.safetensors").toAbsolutePath().toString()));
  }

  @Test
  @DisplayName("without --model or --initial-model the demo trains the built-in mlp, as before")
  void defaultModel(@TempDir Path dir) {
    DemoCommand command = new DemoCommand();
    DemoCommand.commandLine(command).parseArgs();

    assertThat(command.settings(dir, "dirichlet:0.5").model()).isEqualTo("mlp");
    assertThat(command.settings(dir, "dirichlet:0.5").initialModel()).isNull();
    assertThat(command.modelLabel()).isEqualTo("mlp");
  }

  @Test
  @DisplayName("--model and --initial-model together are refused, as the server refuses them")
  void modelAndInitialModel(@TempDir Path dir) throws Exception {
    Path model = Files.writeString(dir.resolve("model.safetensors"), "x");
    assertThat(run("--model", "cnn", "--initial-model", model.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--model and --initial-model are exclusive");
  }

  @Test
  @DisplayName("a --party-option that is not NAME=VALUE with a bare flag name is refused")
  void badPartyOption() {
    assertThat(run("--party-option", "--label-column=target")).isEqualTo(2);
    assertThat(err.toString()).contains("--party-option takes NAME=VALUE");
  }

  @Test
  @DisplayName("bad numbers and unknown names are refused before anything starts")
  void badInput() {
    assertThat(run("--parties", "0")).isEqualTo(2);
    assertThat(err.toString()).contains("--parties").contains("must be at least 1, not '0'");
    assertThat(run("--strategy", "fedmagic")).isEqualTo(2);
    assertThat(err.toString()).contains("--strategy must be fedavg, fedprox, fedadam or fedyogi, not fedmagic");
    assertThat(run("--rounds", "many")).isEqualTo(2);
    assertThat(err.toString()).contains("--rounds");
  }

  @Test
  @DisplayName("--privacy-budget and the --dp-* flags reach the server's command line as the server reads them "
      + "(defaults for delta and sampling rate written out); the parties get none of them")
  void privacyFlagsReachTheServer(@TempDir Path root, @TempDir Path dir) throws Exception {
    DemoCommand command = new DemoCommand();
    DemoCommand.commandLine(command).parseArgs("--parties", "4", "--privacy-budget", "3.5", "--dp-clip-norm", "0.5",
        "--dp-noise-multiplier", "1.1", "--dp-sampling-rate", "0.5");

    LocalFederation.Settings settings = command.settings(dir, "iid");
    try (LocalFederation federation = LocalFederation.prepare(settings, LocalFederationTest.jars(root), dir)) {
      java.util.List<String> server = federation.serverArgs().toList();
      int at = server.indexOf("--privacy-budget");
      assertThat(server.subList(at, at + 10)).containsExactly("--privacy-budget", "3.5", "--dp-delta", "1.0E-5",
          "--dp-clip-norm", "0.5", "--dp-noise-multiplier", "1.1", "--dp-sampling-rate", "0.5");
      // the server's own parser reads them back to the same values
      assertThat(dev.flotilla.protocol.options.ServerOptions.DP_DELTA.parse(server.get(at + 3))).isEqualTo(1e-5);
      assertThat(String.join(" ", federation.partyArgs(0).toList())).doesNotContain("--dp-", "--privacy-budget");
    }
    DemoCommand plain = new DemoCommand();
    DemoCommand.commandLine(plain).parseArgs();
    assertThat(plain.settings(dir, "iid").serverExtraArgs).isEmpty();
  }

  @Test
  @DisplayName("--secure-aggregation reaches the server's command line as the server reads it, and the parties get "
      + "no flag for it (they always announce that they can mask)")
  void secureAggregationReachesTheServer(@TempDir Path root, @TempDir Path dir) throws Exception {
    DemoCommand command = new DemoCommand();
    DemoCommand.commandLine(command).parseArgs("--parties", "3", "--secure-aggregation");
    LocalFederation.Settings settings = command.settings(dir, "iid");
    try (LocalFederation federation = LocalFederation.prepare(settings, LocalFederationTest.jars(root), dir)) {
      assertThat(federation.serverArgs().toList()).containsOnlyOnce("--secure-aggregation");
      assertThat(federation.partyArgs(0).toList()).doesNotContain("--secure-aggregation");
    }
    DemoCommand plain = new DemoCommand();
    DemoCommand.commandLine(plain).parseArgs("--parties", "3");
    try (LocalFederation federation = LocalFederation.prepare(plain.settings(dir, "iid"), LocalFederationTest.jars(root), dir)) {
      assertThat(federation.serverArgs().toList()).doesNotContain("--secure-aggregation");
    }
  }

  @Test
  @DisplayName("--secure-aggregation with what the server would refuse is refused before anything starts (exit 2): "
      + "a strategy that needs each update, a privacy budget with central noise, "
      + "fewer than 3 parties a round")
  void secureAggregationRefusals() {
    assertThat(run("--secure-aggregation", "--parties", "4", "--strategy", "fednova")).isEqualTo(2);
    assertThat(err.toString()).contains("--secure-aggregation reveals only the sum of the updates; --strategy fednova");
    assertThat(run("--secure-aggregation", "--parties", "4", "--privacy-budget", "2", "--dp-clip-norm", "1",
        "--dp-noise-multiplier", "1")).isEqualTo(2);
    assertThat(err.toString()).contains("--privacy-budget with --dp-mode central clips each update at the aggregator");
    assertThat(run("--secure-aggregation", "--parties", "2")).isEqualTo(2);
    assertThat(err.toString()).contains("--secure-aggregation needs at least 3 parties a round")
        .contains("--parties 2 and --fraction 1.0 give 2");
    assertThat(run("--secure-aggregation", "--parties", "10", "--fraction", "0.2")).isEqualTo(2);
    assertThat(err.toString()).contains("--parties 10 and --fraction 0.2 give 2");
  }

  @Test
  @DisplayName("privacy flags the server would refuse are refused before anything starts (exit 2), with the server's "
      + "words: --dp-* without a budget, a budget without clip norm or noise, values out of range, another strategy, "
      + "--fraction")
  void privacyRefusals() {
    assertThat(run("--dp-noise-multiplier", "1")).isEqualTo(2);
    assertThat(err.toString()).contains("the --dp-* flags take effect with --privacy-budget EPSILON");
    assertThat(run("--privacy-budget", "2", "--dp-clip-norm", "1")).isEqualTo(2);
    assertThat(err.toString()).contains("--privacy-budget needs --dp-clip-norm and --dp-noise-multiplier");
    assertThat(run("--privacy-budget", "2", "--dp-clip-norm", "1", "--dp-noise-multiplier", "1", "--dp-delta", "0.5"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--dp-delta must be in (0, 0.1], got 0.5");
    assertThat(run("--privacy-budget", "2", "--dp-clip-norm", "1", "--dp-noise-multiplier", "1", "--strategy",
        "fedprox")).isEqualTo(2);
    assertThat(err.toString()).contains("--privacy-budget runs DP-FedAvg; it cannot be combined with --strategy fedprox");
    assertThat(run("--privacy-budget", "2", "--dp-clip-norm", "1", "--dp-noise-multiplier", "1", "--fraction", "0.5"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("drop --fraction");
  }
}
