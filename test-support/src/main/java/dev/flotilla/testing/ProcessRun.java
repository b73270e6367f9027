package dev.flotilla.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to its end, within a time limit, and returns its exit code and output. */
public final class ProcessRun {

  private ProcessRun() {}

  /** What a run printed (stdout and stderr, interleaved) and how it exited. */
  public record Result(String command, int exitCode, String output) {
    /** The output, or an AssertionError with it when the exit code was not 0. */
    public String requireSuccess() {
      if (exitCode != 0) {
        throw new AssertionError(command + " exited " + exitCode + ":\n" + output);
      }
      return output;
    }
  }

  /**
   * Runs {@code command} in {@code directory} with {@code environment} added to this JVM's; the
   * process and its descendants are killed after {@code timeout}.
   */
  public static Result run(Path directory, Duration timeout, Map<String, String> environment, List<String> command) {
    String shown = String.join(" ", command);
    try {
      Path output = Files.createTempFile("flotilla-run-", ".log");
      try {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
            .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly().waitFor();
          throw new AssertionError(shown + " still running after " + timeout + ":\n"
              + Files.readString(output, StandardCharsets.UTF_8));
        }
        return new Result(shown, process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + shown, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + shown, e);
    }
  }
}
