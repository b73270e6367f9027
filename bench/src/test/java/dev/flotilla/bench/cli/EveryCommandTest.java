package dev.flotilla.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.cli.ExitCode;
import dev.flotilla.cli.FlotillaVersion;
import dev.flotilla.protocol.cli.DurationConverter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The one look of every command of bin/flotilla: --help/-h and --version/-V on every command and
 * sub-command, a usage error and a missing input with the exit codes of the table, one duration
 * syntax, help that wraps between words, and the completion script generated from the same tree.
 */
class EveryCommandTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path COMPLETION = ROOT.resolve("bin/lib/completion.bash");
  private static final String MISSING = "/nonexistent/flotilla-input";

  record Run(int code, String out, String err) {}

  static Run run(Supplier<CommandLine> command, List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = command.get();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  /** Every command and sub-command of the jars, as (its root, the arguments after the root, its display name). */
  static Stream<Arguments> everyCommand() {
    List<Arguments> all = new ArrayList<>();
    FlotillaCommands.jarCommands().forEach((name, command) -> {
      for (List<String> path : FlotillaCommands.paths(name, command.get())) {
        all.add(Arguments.of(String.join(" ", path), command, path.subList(1, path.size())));
      }
    });
    return all.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyCommand")
  @DisplayName("--help and -h print usage (ending with the exit code table) and nothing else, exit 0")
  void help(String name, Supplier<CommandLine> command, List<String> path) {
    for (String flag : List.of("--help", "-h")) {
      Run r = run(command, with(path, flag));
      assertThat(r.code()).as(name + " " + flag + ": " + r.err()).isZero();
      // picocli's 'help' sub-command puts its one-line description first
      assertThat(r.out()).startsWith(name.endsWith(" help") ? "Display help" : "Usage: flotilla " + name)
          .contains("Usage: flotilla " + name).contains("Exit codes:");
      for (ExitCode c : ExitCode.values()) {
        assertThat(r.out()).containsPattern("(?m)^\\s+" + c.code() + "\\s+\\S");
      }
      assertThat(r.err()).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyCommand")
  @DisplayName("--version and -V print one line: flotilla <command> <version> (git <commit>), exit 0")
  void version(String name, Supplier<CommandLine> command, List<String> path) {
    for (String flag : List.of("--version", "-V")) {
      Run r = run(command, with(path, flag));
      assertThat(r.code()).as(name + " " + flag).isZero();
      assertThat(r.out()).isEqualTo(FlotillaVersion.line("flotilla " + name) + System.lineSeparator());
      assertThat(r.out()).matches("flotilla " + name + " \\d+\\.\\d+\\.\\d+\\S* \\(git ([0-9a-f]{12}|unknown)\\)\\R");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyCommand")
  @DisplayName("help wraps between words at 80 columns: the words are those of a 400-column help")
  void helpWrapsBetweenWords(String name, Supplier<CommandLine> command, List<String> path) {
    assertThat(words(help(command, path, 80))).as(name).isEqualTo(words(help(command, path, 400)));
    assertThat(help(command, path, 80).lines()).as(name)
        .allSatisfy(l -> assertThat(l.length() <= 80 || !l.strip().contains(" ")).as(l).isTrue());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyCommand")
  @DisplayName("an unknown option is one line naming the command, the problem and its help, exit 2")
  void usageError(String name, Supplier<CommandLine> command, List<String> path) {
    org.junit.jupiter.api.Assumptions.assumeFalse(name.endsWith(" help"), "picocli's help sub-command takes any argument");
    Run r = run(command, with(path, "--no-such-option"));
    assertThat(r.code()).isEqualTo(ExitCode.USAGE.code()).isEqualTo(2);
    // picocli names missing required options first, when there are any
    assertThat(r.err()).startsWith("flotilla " + name + ": ")
        .containsAnyOf("Unknown option: '--no-such-option'", "Missing required")
        .endsWith(" (see 'flotilla " + name + " --help')" + System.lineSeparator());
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.out()).isEmpty();
  }

  static Stream<Arguments> missingInputs() {
    Map<String, Supplier<CommandLine>> c = FlotillaCommands.jarCommands();
    return Stream.of(
        Arguments.of(c.get("demo"), List.of("--data", MISSING), "flotilla demo: --data " + MISSING + ": no such file or directory"),
        Arguments.of(c.get("simulate"), List.of("--data", MISSING), "flotilla simulate: --data " + MISSING
            + ": no such file or directory"),
        Arguments.of(c.get("server"), List.of("--cert", MISSING, "--key", "k", "--ca", "c"),
            "flotilla server: --cert " + MISSING + ": no such file"),
        Arguments.of(c.get("party"), List.of("--server", "127.0.0.1:8443", "--ca", MISSING, "--cert", "c", "--key", "k"),
            "flotilla party: --ca " + MISSING + ": no such file"),
        Arguments.of(c.get("certs"), List.of("show", MISSING), "flotilla certs show: FILE " + MISSING + ": no such file"),
        Arguments.of(c.get("certs"), List.of("sign", "--ca", "ca", "--csr", MISSING, "--role", "party", "--domain", "example.org"),
            "flotilla certs sign: --csr " + MISSING + ": no such file"),
        Arguments.of(c.get("certs"), List.of("issue", "--ca", MISSING, "--out", "o", "--role", "server", "--domain", "example.org",
            "--job", "j", "--name", "j"), "flotilla certs issue: CA directory does not exist: " + MISSING),
        Arguments.of(c.get("model"), List.of("show", MISSING), "flotilla model show: no such file: " + MISSING),
        Arguments.of(c.get("status"), List.of(MISSING), "flotilla status: no status file at " + MISSING),
        Arguments.of(c.get("evaluate"), List.of("--model-file", MISSING), "flotilla evaluate: --model-file " + MISSING
            + ": no such file"),
        Arguments.of(c.get("partition"), List.of("--data", MISSING, "--count", "2", "--out", MISSING + ".json"),
            "flotilla partition: "),
        Arguments.of(c.get("dns"), List.of("render", "--corefile", MISSING), "flotilla dns render: cannot read '" + MISSING + "'"),
        Arguments.of(c.get("controller"), List.of("--kubeconfig", MISSING, "--health-port", "0"),
            "flotilla controller: --kubeconfig " + MISSING + ": no such file"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("missingInputs")
  @DisplayName("an input that is not there is one line naming it, exit 4 (missing)")
  void missingInput(Supplier<CommandLine> command, List<String> args, String message) {
    Run r = run(command, args);
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.MISSING.code()).isEqualTo(4);
    assertThat(r.err()).startsWith(message).contains(MISSING);
    assertThat(r.err().strip().lines()).hasSize(1);
  }

  @Test
  @DisplayName("every duration option takes the one syntax: 5m, PT5M and 300 (seconds) are five minutes")
  void oneDurationSyntax() throws Exception {
    int durationOptions = 0;
    for (Supplier<CommandLine> command : FlotillaCommands.jarCommands().values()) {
      for (List<String> path : FlotillaCommands.paths("x", command.get())) {
        CommandLine cl = command.get();
        for (String sub : path.subList(1, path.size())) {
          cl = cl.getSubcommands().get(sub);
        }
        for (OptionSpec option : cl.getCommandSpec().options()) {
          if (option.type() == Duration.class) {
            durationOptions++;
            assertThat(option.converters()).as(option.longestName()).hasSize(1);
            CommandLine.ITypeConverter<?> converter = option.converters()[0];
            assertThat(converter).as(option.longestName())
                .isInstanceOfAny(DurationConverter.class, DurationConverter.Positive.class);
            for (String five : List.of("5m", "PT5M", "300", "300s")) {
              assertThat(converter.convert(five)).as(option.longestName() + " " + five).isEqualTo(Duration.ofMinutes(5));
            }
          }
        }
      }
    }
    assertThat(durationOptions).as("duration options found").isGreaterThanOrEqualTo(10);
  }

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
  @DisplayName("the completion script is generated from the commands (regenerate: -Dflotilla.regenerate=true) and completes them")
  void completion(@TempDir Path dir) throws Exception {
    String generated = AutoComplete.bash("flotilla", FlotillaCommands.tree());
    if (Boolean.getBoolean("flotilla.regenerate")) {
      Files.writeString(COMPLETION, generated);
    }
    assertThat(Files.readString(COMPLETION)).as("bin/lib/completion.bash is stale: run this test with "
        + "-Dflotilla.regenerate=true").isEqualTo(generated);
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

  private static String help(Supplier<CommandLine> command, List<String> path, int width) {
    CommandLine cl = command.get();
    for (String sub : path) {
      cl = cl.getSubcommands().get(sub);
    }
    cl.getCommandSpec().usageMessage().autoWidth(false).width(width);
    return cl.getUsageMessage();
  }

  private static List<String> words(String text) {
    return List.of(text.strip().split("\\s+"));
  }

  private static List<String> with(List<String> path, String arg) {
    List<String> args = new ArrayList<>(path);
    args.add(arg);
    return args;
  }
}
