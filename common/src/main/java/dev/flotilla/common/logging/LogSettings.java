package dev.flotilla.common.logging;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.event.Level;

/**
 * Where the project's logging is configured, the one place: the format ({@code --log-format}, else the
 * environment variable {@value #FORMAT_ENV}, else the system property {@value #FORMAT_PROPERTY}, else
 * human), the threshold ({@code -D}{@value #LEVEL_PROPERTY}{@code =debug}, default info) and thresholds
 * per logger name prefix ({@code -D}{@value #LEVEL_PROPERTY}{@code .ai.djl=warn}). Lines go to stderr.
 */
public final class LogSettings {
  public static final String FORMAT_ENV = "FLOTILLA_LOG_FORMAT";
  public static final String FORMAT_PROPERTY = "flotilla.log.format";
  public static final String LEVEL_PROPERTY = "flotilla.log.level";

  private static volatile LogFormat format = initialFormat();
  private static volatile Level defaultLevel = levelOrInfo(System.getProperty(LEVEL_PROPERTY));
  private static final Map<String, Level> LEVELS = new ConcurrentHashMap<>();
  private static volatile PrintStream output;

  private LogSettings() {}

  public static LogFormat format() {
    return format;
  }

  public static void setFormat(LogFormat chosen) {
    format = chosen;
  }

  /** The threshold of loggers no prefix names, unless the person chose one with -D. */
  public static void defaultLevelUnlessSet(Level level) {
    if (System.getProperty(LEVEL_PROPERTY) == null) {
      defaultLevel = level;
    }
  }

  /** The threshold of loggers whose name starts with {@code prefix}, unless the person chose one with -D. */
  public static void levelUnlessSet(String prefix, Level level) {
    if (System.getProperty(LEVEL_PROPERTY + "." + prefix) == null) {
      LEVELS.put(prefix, level);
    }
  }

  /** Lines go here instead of stderr; null restores stderr (tests). */
  public static void output(PrintStream stream) {
    output = stream;
  }

  static PrintStream out() {
    PrintStream chosen = output;
    return chosen != null ? chosen : System.err;
  }

  /** The threshold of a logger: the longest prefix set by -D or in code, else the default. */
  static Level threshold(String loggerName) {
    String name = loggerName;
    while (true) {
      String property = System.getProperty(LEVEL_PROPERTY + "." + name);
      if (property != null) {
        return levelOrInfo(property);
      }
      Level set = LEVELS.get(name);
      if (set != null) {
        return set;
      }
      int dot = name.lastIndexOf('.');
      if (dot < 0) {
        return defaultLevel;
      }
      name = name.substring(0, dot);
    }
  }

  private static LogFormat initialFormat() {
    String env = System.getenv(FORMAT_ENV);
    String chosen = env != null && !env.isBlank() ? env : System.getProperty(FORMAT_PROPERTY);
    if (chosen == null || chosen.isBlank()) {
      return LogFormat.HUMAN;
    }
    try {
      return LogFormat.parse(chosen);
    } catch (IllegalArgumentException e) {
      System.err.println("flotilla: " + e.getMessage() + " (from " + FORMAT_ENV + " or -D" + FORMAT_PROPERTY
          + "); logging as human");
      return LogFormat.HUMAN;
    }
  }

  private static Level levelOrInfo(String text) {
    if (text == null || text.isBlank()) {
      return Level.INFO;
    }
    String name = text.trim().toUpperCase(Locale.ROOT);
    if (name.equals("WARNING")) {
      return Level.WARN;
    }
    if (name.equals("OFF")) {
      return null;
    }
    try {
      return Level.valueOf(name);
    } catch (IllegalArgumentException e) {
      return Level.INFO;
    }
  }
}
