package dev.flotilla.common.logging;

import java.io.PrintStream;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** A logger of the project's SLF4J binding: checks its threshold, renders a {@link LogLine}, writes it. */
final class FlotillaLogger extends LegacyAbstractLogger {
  private static final Object WRITE_LOCK = new Object();

  FlotillaLogger(String name) {
    this.name = name;
  }

  private boolean enabled(Level level) {
    Level threshold = LogSettings.threshold(name);
    return threshold != null && level.toInt() >= threshold.toInt();
  }

  @Override
  public boolean isTraceEnabled() {
    return enabled(Level.TRACE);
  }

  @Override
  public boolean isDebugEnabled() {
    return enabled(Level.DEBUG);
  }

  @Override
  public boolean isInfoEnabled() {
    return enabled(Level.INFO);
  }

  @Override
  public boolean isWarnEnabled() {
    return enabled(Level.WARN);
  }

  @Override
  public boolean isErrorEnabled() {
    return enabled(Level.ERROR);
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(Level level, Marker marker, String messagePattern, Object[] arguments,
      Throwable throwable) {
    String message = MessageFormatter.basicArrayFormat(messagePattern, arguments);
    String line = LogLine.of(level, name, message, throwable).render(LogSettings.format());
    PrintStream out = LogSettings.out();
    synchronized (WRITE_LOCK) {
      out.println(line);
      out.flush();
    }
  }
}
