package dev.flotilla.bench.quality;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the benchmark's helper processes (Python, a JVM measuring DJL) to completion within a time limit. */
final class ChildProcesses {
  private ChildProcesses() {}

  /** Runs {@code command} with stdout and stderr on this process's. */
  static void run(List<String> command, Map<String, String> environment, Duration timeout) {
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    builder.environment().putAll(environment);
    await(builder, command, timeout);
  }

  /** Runs {@code command} with stderr on this process's and returns what it wrote to stdout. */
  static String output(List<String> command, Map<String, String> environment, Duration timeout) {
    try {
      Path stdout = Files.createTempFile("flotilla-bench-", ".out");
      try {
        ProcessBuilder builder = new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .redirectOutput(stdout.toFile());
        builder.environment().putAll(environment);
        await(builder, command, timeout);
        return Files.readString(stdout, StandardCharsets.UTF_8);
      } finally {
        Files.deleteIfExists(stdout);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("the output of " + command.get(0) + ": " + e.getMessage(), e);
    }
  }

  private static void await(ProcessBuilder builder, List<String> command, Duration timeout) {
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while " + command.get(0) + " ran", e);
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " exited with code " + process.exitValue());
    }
  }

  /** The environment that gives PyTorch {@code threads} intra-op threads, as LocalFederation gives each party. */
  static Map<String, String> torchThreads(int threads) {
    String n = Integer.toString(threads);
    return Map.of("FLOTILLA_TORCH_THREADS", n, "OMP_NUM_THREADS", n, "MKL_NUM_THREADS", n);
  }
}
