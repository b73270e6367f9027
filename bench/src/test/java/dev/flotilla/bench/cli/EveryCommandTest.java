package dev.flotilla.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.cli.ExitCode;
import dev.flotilla.cli.FlotillaVersion;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
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
 * The script's own commands, run as bash processes, are ScriptCommandsIT's.
 */
class EveryCommandTest {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path COMPLETION = ROOT.resolve("bin/lib/completion.bash");
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
            // DurationConverter, or the option's own parser (ConfigOption), which is Durations too
            assertThat(option.converters()).as(option.longestName()).hasSize(1);
            CommandLine.ITypeConverter<?> converter = option.converters()[0];
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
  @DisplayName("the completion script is generated from the commands (regenerate: -Dflotilla.regenerate=true)")
  void completion() throws Exception {
    String generated = AutoComplete.bash("flotilla", FlotillaCommands.tree());
    if (Boolean.getBoolean("flotilla.regenerate")) {
      Files.writeString(COMPLETION, generated);
    }
    assertThat(Files.readString(COMPLETION)).as("bin/lib/completion.bash is stale: run this test with "
        + "-Dflotilla.regenerate=true").isEqualTo(generated);
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

  static List<String> with(List<String> path, String arg) {
    List<String> args = new ArrayList<>(path);
    args.add(arg);
    return args;
  }
}
