package dev.flotilla.certs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The README's certs examples, run as written in a fresh directory; the party README's example uses what they made. */
class ReadmeExamplesIT {
  private static final Path README = Path.of("README.md");
  private static final Path PARTY_README = Path.of("..", "party", "README.md");
  /** Flags whose values are paths, resolved in the test's directory (the README's commands run in a fresh one). */
  private static final Set<String> PATH_FLAGS = Set.of("--out", "--ca", "--csr", "--dir", "-CAfile");
  private static final Pattern WORD = Pattern.compile("\"([^\"]*)\"|(\\S+)");

  @Test
  @DisplayName("every command of the README's certs examples runs and exits 0; the CSR flow leaves key, CSR, "
      + "certificate and CA certificate in one directory; the party README's --ca/--cert/--key name files they made")
  void examplesRun(@TempDir Path dir) throws Exception {
    List<List<String>> commands = commands(README, "Examples (run as written");
    assertThat(commands).hasSizeGreaterThanOrEqualTo(8);
    for (List<String> command : commands) {
      if (command.get(0).equals("bin/flotilla")) {
        assertThat(command.get(1)).isEqualTo("certs");
        StringWriter err = new StringWriter();
        CommandLine cl = CertsCommand.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(resolved(dir, command.subList(2, command.size())).toArray(String[]::new));
        assertThat(code).as(command + ": " + err).isZero();
      } else if (command.get(0).equals("openssl") && Files.isExecutable(Path.of("/usr/bin/openssl"))) {
        Process p = new ProcessBuilder(resolved(dir, command)).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(command + ": " + out).isZero();
      }
    }
    for (String file : List.of("tls.key", "tls.csr", "tls.crt", "ca.crt")) {
      assertThat(dir.resolve("bob").resolve(file)).as("the CSR flow's " + file).isRegularFile();
    }
    List<String> party = commands(PARTY_README, "# party").get(1);
    for (String flag : List.of("--ca", "--cert", "--key")) {
      assertThat(dir.resolve(party.get(party.indexOf(flag) + 1))).as("party README " + flag).isRegularFile();
    }
  }

  /** The commands of the first code block after the line starting with {@code marker}: continuations joined, comments cut. */
  static List<List<String>> commands(Path readme, String marker) throws Exception {
    List<String> lines = Files.readAllLines(readme);
    int at = 0;
    while (!lines.get(at).startsWith(marker)) {
      at++;
    }
    while (!lines.get(at).startsWith("```")) {
      at++;
    }
    List<List<String>> commands = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (int i = at + 1; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
      String line = lines.get(i);
      int comment = line.indexOf(" #");
      line = line.startsWith("#") ? "" : comment >= 0 ? line.substring(0, comment) : line;
      boolean continues = line.stripTrailing().endsWith("\\");
      current.append(continues ? line.stripTrailing().substring(0, line.stripTrailing().length() - 1) : line).append(' ');
      if (!continues) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(current);
        while (m.find()) {
          words.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        if (!words.isEmpty()) {
          commands.add(words);
        }
        current.setLength(0);
      }
    }
    return commands;
  }

  private static List<String> resolved(Path dir, List<String> args) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      boolean path = i > 0 && PATH_FLAGS.contains(args.get(i - 1))
          || (arg.contains("/") && !arg.startsWith("-") && !arg.startsWith("spiffe:"));
      out.add(path ? dir.resolve(arg).toString() : arg);
    }
    return out;
  }
}
