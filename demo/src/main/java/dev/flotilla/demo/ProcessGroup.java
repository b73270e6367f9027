package dev.flotilla.demo;

import dev.flotilla.common.logging.LogSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The JVMs of one local federation. Every process started through the group is ended when the
 * group closes, or when this JVM exits (a shutdown hook), so no server or party outlives its owner.
 */
public final class ProcessGroup implements AutoCloseable {

  private static final long STOP_GRACE_MILLIS = 5_000;

  private final Path logDirectory;
  private final List<ChildProcess> children = new ArrayList<>();
  private final Thread shutdownHook = new Thread(this::stopAll, "flotilla-process-group-shutdown");
  private boolean closed;

  public ProcessGroup(Path logDirectory) {
    this.logDirectory = logDirectory;
    try {
      Files.createDirectories(logDirectory);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + logDirectory, e);
    }
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  public Path logDirectory() {
    return logDirectory;
  }

  /** Starts {@code command} with its output appended to {@code <logDirectory>/<name>.log}. */
  public synchronized ChildProcess start(String name, List<String> command, Path workingDirectory, Map<String, String> environment) {
    if (closed) {
      throw new IllegalStateException("process group is closed");
    }
    Path log = logDirectory.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(workingDirectory.toFile())
        .redirectErrorStream(true)
        .redirectOutput(Redirect.appendTo(log.toFile()))
        .redirectInput(Redirect.PIPE);
    // the children log as the demo does (--log-format or FLOTILLA_LOG_FORMAT)
    builder.environment().put(LogSettings.FORMAT_ENV, LogSettings.format().flagValue());
    builder.environment().putAll(environment);
    try {
      ChildProcess child = new ChildProcess(name, builder.start(), log, command);
      children.add(child);
      return child;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", command), e);
    }
  }

  public synchronized List<ChildProcess> children() {
    return List.copyOf(children);
  }

  /** The last lines of every child's log, prefixed with the child's name, for a failure message. */
  public synchronized String tails(int linesEach) {
    return children.stream()
        .map(child -> child.tail(linesEach))
        .filter(tail -> !tail.isBlank())
        .collect(Collectors.joining(System.lineSeparator()));
  }

  private synchronized void stopAll() {
    // Ask all at once, then wait: stopping one at a time would multiply the grace period.
    for (ChildProcess child : children) {
      if (child.isAlive()) {
        child.process().descendants().forEach(ProcessHandle::destroy);
        child.process().destroy();
      }
    }
    for (ChildProcess child : children) {
      child.stop(STOP_GRACE_MILLIS);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is running or about to: nothing to remove
    }
  }
}
