package dev.flotilla.bench.cli;

import static dev.flotilla.bench.cli.EveryCommandTest.COMPLETION;
import static dev.flotilla.bench.cli.EveryCommandTest.ROOT;
import static dev.flotilla.bench.cli.EveryCommandTest.with;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.bench.cli.EveryCommandTest.Run;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.cli.FlotillaVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.AutoComplete;

/**
 * bin/flotilla's own commands as a user runs them, bash processes with a PATH of a few tools (no Maven,
 * no Java): help and version of every script command, the demo's missing data set, shell completion.
 */
class ScriptCommandsIT {

  @Test
  @DisplayName("bin/flotilla's own commands print help and the version line without Maven or Java on the PATH")
  void scriptCommands(@TempDir Path dir) throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    for (String tool : List.of("dirname", "cat", "sed", "head", "grep", "git")) {
      Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool));
    }
    for (String command : FlotillaCommands.SCRIPT_COMMANDS.keySet()) {
      List<List<String>> paths = new ArrayList<>();
      paths.add(List.of(command));
      FlotillaCommands.SCRIPT_COMMANDS.get(command).forEach(sub -> paths.add(List.of(command, sub)));
      for (List<String> path : paths) {
        for (String flag : List.of("--help", "-h")) {
          Run r = script(bin, with(path, flag));
          assertThat(r.code()).as(path + " " + flag + ": " + r.err()).isZero();
          assertThat(r.out()).startsWith("Usage: bin/flotilla " + command);
          if (command.equals("model") && path.size() == 1) {
            assertThat(r.out()).contains("bin/flotilla model init --model NAME [--seed S] --out FILE",
                "bin/flotilla model show FILE");
          }
        }
        for (String flag : List.of("--version", "-V")) {
          Run r = script(bin, with(path, flag));
          assertThat(r.code()).as(path + " " + flag).isZero();
          assertThat(r.out()).isEqualTo(FlotillaVersion.line("flotilla " + command) + "\n");
        }
      }
    }
    Run top = script(bin, List.of("--version"));
    assertThat(top.out()).isEqualTo(FlotillaVersion.line("flotilla") + "\n");
    assertThat(script(bin, List.of("--help")).out()).startsWith("Usage: bin/flotilla <command>");
    Run unknown = script(bin, List.of("nope"));
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).isEqualTo("flotilla: unknown command 'nope' (see 'bin/flotilla --help')\n");
    Run noShell = script(bin, List.of("completion"));
    assertThat(noShell.code()).isEqualTo(2);
    assertThat(noShell.err()).contains("name the shell: bash or zsh");
  }

  @Test
  @DisplayName("bin/flotilla demo without its data set prints the one command that installs it and exits 4, before any build")
  void demoWithoutData(@TempDir Path dir) throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    for (String tool : List.of("dirname", "cat", "id")) {
      Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool));
    }
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Run r = script(bin, List.of("demo", "--rounds", "1"), Map.of("FLOTILLA_FASHION_MNIST", empty.toString()));
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.MISSING.code());
    assertThat(r.err()).isEqualTo("flotilla demo: Fashion-MNIST not found in " + empty + "; install it with: sudo apt-get "
        + "install -y dataset-fashion-mnist (bin/flotilla demo does it itself when run as root), or pass --data DIR\n");
    assertThat(r.out()).isEmpty();
  }

  @Test
  @DisplayName("bin/flotilla completion bash|zsh prints the generated script, and bash completes commands and options with it")
  void completion(@TempDir Path dir) throws Exception {
    String generated = AutoComplete.bash("flotilla", FlotillaCommands.tree());
    Path bin = Files.createDirectories(dir.resolve("bin"));
    for (String tool : List.of("dirname", "cat")) {
      Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool));
    }
    assertThat(script(bin, List.of("completion", "bash")).out()).isEqualTo(generated);
    assertThat(script(bin, List.of("completion", "zsh")).out()).isEqualTo(generated);
    assertThat(complete("flotilla cer")).isEqualTo("certs");
    assertThat(complete("flotilla certs is")).isEqualTo("issue");
    assertThat(complete("flotilla party --give-up")).isEqualTo("--give-up-after");
    assertThat(complete("flotilla cluster u")).isEqualTo("up");
    // completion values are keyed by the value's label: two options with one label would share them
    assertThat(complete("flotilla server --strategy med")).isEqualTo("median");
    assertThat(complete("flotilla server --model res")).isEqualTo("resnet20");
  }

  /** What bash completes for the last word of {@code line}, with the generated script loaded. */
  private static String complete(String line) throws Exception {
    String script = "source " + COMPLETION + "\nCOMP_LINE='" + line + "'\nCOMP_WORDS=(" + line + ")\n"
        + "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\nCOMP_POINT=${#COMP_LINE}\n_complete_flotilla\n"
        + "echo \"${COMPREPLY[*]}\"\n";
    Process p = new ProcessBuilder("/bin/bash", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    List<String> lines = out.strip().lines().toList(); // compopt complains outside a real completion
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1).strip();
  }

  private static Run script(Path bin, List<String> args) throws IOException, InterruptedException {
    return script(bin, args, Map.of());
  }

  private static Run script(Path bin, List<String> args, Map<String, String> env) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("/bin/bash", ROOT.resolve("bin/flotilla").toString()));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("PATH", bin.toString());
    pb.environment().remove("FLOTILLA_FASHION_MNIST");
    pb.environment().putAll(env);
    Path err = Files.createTempFile("flotilla-err", ".txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String errText = Files.readString(err);
    Files.delete(err);
    return new Run(p.exitValue(), out, errText);
  }
}
