package dev.flotilla.party.train.external;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One run of the user's trainer command: {@code /bin/sh -c 'CMD "$1"' flotilla-trainer ROUND_JSON}
 * in the round directory, stdin empty, stdout and stderr to {@code stdout.log} and
 * {@code stderr.log} there, the party's environment minus every variable that names a TLS file.
 * A run that outlives its timeout is killed with every process it started.
 */
final class TrainerProcess {
  static final String STDOUT = "stdout.log";
  static final String STDERR = "stderr.log";
  /** How much of stderr's end is quoted in a failure: enough for a Python traceback. */
  private static final int STDERR_TAIL_BYTES = 4096;
  private static final int STDERR_TAIL_LINES = 15;
  /** Variable names that suggest TLS material, whatever file they point at. */
  private static final Pattern SECRET_NAME = Pattern.compile(".*(TLS|SSL|CERT|PRIVATE_KEY|KEY_FILE|CA_FILE).*");

  /** How a run ended. */
  sealed interface Outcome {
    record Exited(int code, String stderrTail) implements Outcome {}

    record TimedOut(Duration after, int killed) implements Outcome {}
  }

  private TrainerProcess() {}

  /**
   * Runs the command and waits for it.
   *
   * @throws IOException when the process cannot be started
   * @throws InterruptedException when the party is stopped meanwhile (the process tree is killed first)
   */
  static Outcome run(String command, Path roundJson, Path directory, Duration timeout, List<Path> secretFiles)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command + " \"$1\"", "flotilla-trainer",
        roundJson.toAbsolutePath().toString())
        .directory(directory.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectOutput(directory.resolve(STDOUT).toFile())
        .redirectError(directory.resolve(STDERR).toFile());
    removeSecrets(builder.environment(), secretFiles);
    Process process = builder.start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        int killed = killTree(process);
        return new Outcome.TimedOut(timeout, killed);
      }
    } catch (InterruptedException e) {
      killTree(process);
      throw e;
    }
    return new Outcome.Exited(process.exitValue(), tail(directory.resolve(STDERR)));
  }

  /** Drops variables whose name suggests TLS material or whose value mentions one of the TLS files. */
  static void removeSecrets(Map<String, String> environment, List<Path> secretFiles) {
    List<String> needles = new ArrayList<>();
    for (Path file : secretFiles) {
      needles.add(file.toString());
      needles.add(file.toAbsolutePath().normalize().toString());
    }
    environment.entrySet().removeIf(entry -> SECRET_NAME.matcher(entry.getKey().toUpperCase(Locale.ROOT)).matches()
        || needles.stream().anyMatch(needle -> entry.getValue().contains(needle)));
  }

  /**
   * Kills the process and all its descendants (SIGKILL), twice over the descendants in case one
   * forked while the first sweep ran, and waits for the process itself.
   *
   * @return the number of processes killed
   */
  static int killTree(Process process) throws InterruptedException {
    List<ProcessHandle> seen = new ArrayList<>(process.descendants().toList());
    seen.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    for (ProcessHandle handle : List.copyOf(seen)) {
      handle.descendants().forEach(child -> {
        seen.add(child);
        child.destroyForcibly();
      });
    }
    process.waitFor(10, TimeUnit.SECONDS);
    return seen.size() + 1;
  }

  /** The last lines of a log, read from its last few KiB only. */
  static String tail(Path log) {
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long start = Math.max(0, file.length() - STDERR_TAIL_BYTES);
      byte[] bytes = new byte[(int) (file.length() - start)];
      file.seek(start);
      file.readFully(bytes);
      String text = new String(bytes, StandardCharsets.UTF_8).strip();
      String[] lines = text.split("\n");
      int from = Math.max(0, lines.length - STDERR_TAIL_LINES);
      if (start > 0 && from == 0) {
        from = Math.min(1, lines.length - 1); // the first line is cut
      }
      return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
    } catch (IOException e) {
      return "(stderr not readable: " + e.getMessage() + ")";
    }
  }
}
