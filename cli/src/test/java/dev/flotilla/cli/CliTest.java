package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class CliTest {

  @Command(name = "flotilla sample", description = "A sample command whose description is long enough to be "
      + "wrapped over several lines of help, with words such as --allow-party-file and spiffe://example.org/job "
      + "that must never be cut in the middle.",
      subcommands = Sample.Sub.class)
  static final class Sample implements Callable<Integer> {
    @Option(names = "--fail", description = "How to fail: missing, refused, wrapped, bug.")
    String fail;

    @Override
    public Integer call() throws Exception {
      if (fail == null) {
        return 0;
      }
      switch (fail) {
        case "missing" -> throw new NoSuchFileException("/nonexistent/data");
        case "refused" -> throw new CommandFailure(ExitCode.REFUSED, "the server refused party alice: job full");
        case "wrapped" -> throw new IllegalStateException("provision",
            new CommandFailure(ExitCode.UNREACHABLE, "gave up on 10.0.0.5:8443"));
        default -> throw new IllegalStateException("boom");
      }
    }

    @Command(name = "sub", description = "A sub-command.")
    static final class Sub implements Runnable {
      @Override
      public void run() {}
    }
  }

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Cli.commandLine(new Sample());
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  @DisplayName("--help and -h print usage ending with the exit code table, on the command and its sub-commands")
  void help() {
    for (String[] args : new String[][] {{"--help"}, {"-h"}, {"sub", "--help"}, {"sub", "-h"}}) {
      Run r = run(args);
      assertThat(r.code()).isZero();
      assertThat(r.out()).startsWith("Usage: flotilla sample").contains("Exit codes:");
      for (ExitCode c : ExitCode.values()) {
        assertThat(r.out()).containsPattern("(?m)^\\s+" + c.code() + "\\s+" + java.util.regex.Pattern.quote(c.meaning().substring(0, Math.min(12, c.meaning().length()))));
      }
      assertThat(r.err()).isEmpty();
    }
  }

  @Test
  @DisplayName("--version and -V print one line: command, version and commit, on the command and its sub-commands")
  void version() {
    assertThat(run("--version").out().strip()).matches("flotilla sample \\d+\\.\\d+\\.\\d+\\S* \\(git ([0-9a-f]{12}|unknown)\\)");
    assertThat(run("-V").out()).isEqualTo(run("--version").out());
    assertThat(run("sub", "-V").out().strip()).startsWith("flotilla sample sub " + FlotillaVersion.version() + " (git ");
    assertThat(FlotillaVersion.version()).doesNotContain("$").isNotEqualTo("unknown");
  }

  @Test
  @DisplayName("a usage error is one line naming the command and its help, exit 2")
  void usageError() {
    Run r = run("--no-such-flag");
    assertThat(r.code()).isEqualTo(2).isEqualTo(ExitCode.USAGE.code());
    assertThat(r.err()).isEqualTo("flotilla sample: Unknown option: '--no-such-flag' (see 'flotilla sample --help')"
        + System.lineSeparator());
  }

  @Test
  @DisplayName("failures map to the table: missing file 4, a CommandFailure its own code even when wrapped, a bug 1")
  void failures() {
    Run missing = run("--fail", "missing");
    assertThat(missing.code()).isEqualTo(4);
    assertThat(missing.err().strip()).isEqualTo("flotilla sample: no such file: /nonexistent/data");
    Run refused = run("--fail", "refused");
    assertThat(refused.code()).isEqualTo(5);
    assertThat(refused.err().strip()).isEqualTo("flotilla sample: the server refused party alice: job full");
    Run wrapped = run("--fail", "wrapped");
    assertThat(wrapped.code()).isEqualTo(3);
    assertThat(wrapped.err().strip()).isEqualTo("flotilla sample: gave up on 10.0.0.5:8443");
    Run bug = run("--fail", "bug");
    assertThat(bug.code()).isEqualTo(1);
    assertThat(bug.err()).startsWith("flotilla sample: internal error: java.lang.IllegalStateException: boom");
  }

  @Test
  @DisplayName("requireFile: nothing there is MISSING (4), a directory is BAD_INPUT (6), each naming the flag")
  void requireFile(@TempDir Path dir) {
    assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(
        () -> Cli.requireFile("--cert", dir.resolve("tls.crt")), CommandFailure.class))
        .hasMessage("--cert " + dir.resolve("tls.crt") + ": no such file")
        .extracting(CommandFailure::exitCode).isEqualTo(ExitCode.MISSING);
    assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(
        () -> Cli.requireFile("--cert", dir), CommandFailure.class))
        .extracting(CommandFailure::exitCode).isEqualTo(ExitCode.BAD_INPUT);
  }

  @Test
  @DisplayName("the table has one entry per code, 0 to 7 in order, each with a meaning")
  void table() {
    assertThat(ExitCode.helpList().keySet()).containsExactly("0", "1", "2", "3", "4", "5", "6", "7");
    assertThat(ExitCode.of(5)).isEqualTo(ExitCode.REFUSED);
    assertThat(ExitCode.of(99)).isEqualTo(ExitCode.INTERNAL);
  }

  @Test
  @DisplayName("help wraps between words: the words at width 60 are the words at width 200")
  void wrapsBetweenWords() {
    assertThat(words(helpAt(60))).isEqualTo(words(helpAt(200)));
    assertThat(helpAt(60).lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(60));
  }

  private static String helpAt(int width) {
    CommandLine cl = Cli.commandLine(new Sample());
    cl.getCommandSpec().usageMessage().autoWidth(false).width(width);
    return cl.getUsageMessage();
  }

  private static java.util.List<String> words(String text) {
    return java.util.List.of(text.strip().split("\\s+"));
  }
}
