package dev.flotilla.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@link PythonProbe#PYTHON} (Debian's, with python3-torch) and returns its exit code and output. */
public final class SystemPython {

  private SystemPython() {}

  /** What a run printed (stdout and stderr, interleaved) and how it exited. */
  public record Result(int exitCode, String output) {
    /** The output, or an AssertionError with it when the exit code was not 0. */
    public String requireSuccess() {
      if (exitCode != 0) {
        throw new AssertionError("python exited " + exitCode + ":\n" + output);
      }
      return output;
    }
  }

  /**
   * Runs {@code python3 args...} in {@code directory}, one torch thread (tests share the cores);
   * the process is killed after {@code timeout}.
   */
  public static Result run(Path directory, Duration timeout, String... args) {
    List<String> command = new ArrayList<>();
    command.add(PythonProbe.PYTHON.toString());
    command.addAll(List.of(args));
    try {
      Path output = Files.createTempFile("flotilla-python-", ".log");
      try {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
            .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("OMP_NUM_THREADS", "1");
        builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process process = builder.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly().waitFor();
          throw new AssertionError(String.join(" ", command) + " still running after " + timeout + ":\n"
              + Files.readString(output, StandardCharsets.UTF_8));
        }
        return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + command, e);
    }
  }
}
