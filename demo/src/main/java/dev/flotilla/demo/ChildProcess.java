package dev.flotilla.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A server or party running as its own JVM, its stdout and stderr appended to a log file. Owned by a
 * {@link ProcessGroup}, which ends it (and anything it started) when the group closes.
 */
public final class ChildProcess {

  private final String name;
  private final Process process;
  private final Path logFile;
  private final List<String> command;

  ChildProcess(String name, Process process, Path logFile, List<String> command) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
    this.command = List.copyOf(command);
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public Process process() {
    return process;
  }

  public Path logFile() {
    return logFile;
  }

  public List<String> command() {
    return command;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code once the process has ended. */
  public OptionalInt exitCode() {
    return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
  }

  /** Waits for the process to end; returns its exit code, or empty if it is still running after the timeout. */
  public OptionalInt waitFor(long timeout, TimeUnit unit) {
    try {
      return process.waitFor(timeout, unit) ? OptionalInt.of(process.exitValue()) : OptionalInt.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalInt.empty();
    }
  }

  /** SIGKILL: the process gets no chance to clean up, as when a machine loses power. */
  public void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM, then SIGKILL if it has not ended within the grace period. */
  public void stop(long graceMillis) {
    if (!process.isAlive()) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    if (waitFor(graceMillis, TimeUnit.MILLISECONDS).isEmpty()) {
      kill();
    }
  }

  /** The whole log so far (empty when there is none yet). */
  public String log() {
    try {
      return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + logFile, e);
    }
  }

  /** The last lines of the log, each prefixed with {@code [name] } so several logs can be shown together. */
  public String tail(int lines) {
    Deque<String> last = new ArrayDeque<>();
    if (Files.exists(logFile)) {
      try (Stream<String> all = Files.lines(logFile, StandardCharsets.UTF_8)) {
        all.forEach(line -> {
          last.addLast(line);
          if (last.size() > lines) {
            last.removeFirst();
          }
        });
      } catch (IOException | UncheckedIOException e) {
        return "[" + name + "] (cannot read " + logFile + ": " + e.getMessage() + ")";
      }
    }
    return last.stream().map(line -> "[" + name + "] " + line).collect(Collectors.joining(System.lineSeparator()));
  }

  @Override
  public String toString() {
    return name + " (pid " + pid() + (isAlive() ? ", running" : ", exit " + process.exitValue()) + ")";
  }
}
