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
}
