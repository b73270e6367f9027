package dev.flotilla.common.logging;

import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** What a process's main calls first, so that everything it logs, its libraries too, comes out in one format. */
public final class Logging {
  private Logging() {}

  /**
   * Names the process's role on every line and sends java.util.logging (gRPC and Netty log there) through
   * the project's binding instead of JUL's own two-line console format.
   */
  public static void start(String role) {
    LogContext.set(LogContext.ROLE, role);
    java.util.logging.Logger root = LogManager.getLogManager().getLogger("");
    for (Handler h : root.getHandlers()) {
      root.removeHandler(h);
    }
    root.addHandler(new JulToSlf4j());
  }

  /** A JUL handler that hands each record to the SLF4J logger of the same name. */
  static final class JulToSlf4j extends Handler {
    private final SimpleFormatter formatter = new SimpleFormatter();

    @Override
    public void publish(LogRecord record) {
      if (record == null) {
        return;
      }
      String name = record.getLoggerName() == null ? "jul" : record.getLoggerName();
      org.slf4j.Logger logger = LoggerFactory.getLogger(name);
      Level level = level(record.getLevel());
      if (logger.isEnabledForLevel(level)) {
        logger.atLevel(level).setCause(record.getThrown()).log(formatter.formatMessage(record));
      }
    }

    static Level level(java.util.logging.Level jul) {
      int v = jul.intValue();
      if (v >= java.util.logging.Level.SEVERE.intValue()) {
        return Level.ERROR;
      }
      if (v >= java.util.logging.Level.WARNING.intValue()) {
        return Level.WARN;
      }
      if (v >= java.util.logging.Level.INFO.intValue()) {
        return Level.INFO;
      }
      return v >= java.util.logging.Level.FINE.intValue() ? Level.DEBUG : Level.TRACE;
    }

    @Override
    public void flush() {
      // every line is flushed as it is written
    }

    @Override
    public void close() {
      // nothing held
    }
  }
}
