package dev.flotilla.common.logging;

import dev.flotilla.common.JsonText;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import org.slf4j.event.Level;

/**
 * One event and its rendering in either format. Every line names the job, role, party and round
 * ("-" in the human format, null in JSON, when the process does not know one). The human format keeps
 * a message on one line (a line break in a message from a peer cannot forge a second line); a
 * stack trace follows on indented lines. JSON escapes everything, one object a line.
 */
public record LogLine(Instant time, Level level, String logger, String job, String role, String party, String round,
    String message, Throwable error) {

  /** An event of the calling thread, with the fields of {@link LogContext}. */
  public static LogLine of(Level level, String logger, String message, Throwable error) {
    return new LogLine(Instant.now().truncatedTo(ChronoUnit.MILLIS), level, logger, LogContext.get(LogContext.JOB), LogContext.get(LogContext.ROLE),
        LogContext.get(LogContext.PARTY), LogContext.get(LogContext.ROUND), message, error);
  }

  public String render(LogFormat format) {
    return format == LogFormat.JSON ? json() : human();
  }

  /** {@code 2026-12-05T02:10:11.123Z INFO  [server job=mnist party=- round=3] RoundLoop: message}. */
  String human() {
    StringBuilder s = new StringBuilder(128);
    s.append(DateTimeFormatter.ISO_INSTANT.format(time)).append(' ');
    s.append(String.format("%-5s", level.name())).append(" [").append(orDash(role));
    s.append(" job=").append(orDash(job)).append(" party=").append(orDash(party)).append(" round=").append(orDash(round));
    s.append("] ").append(shortName(logger)).append(": ").append(oneLine(message));
    if (error != null) {
      s.append(System.lineSeparator()).append(stackTrace(error).stripTrailing());
    }
    return s.toString();
  }

  String json() {
    StringBuilder s = new StringBuilder(160);
    s.append("{\"time\":");
    JsonText.quote(s, DateTimeFormatter.ISO_INSTANT.format(time));
    s.append(",\"level\":");
    JsonText.quote(s, level.name());
    s.append(",\"role\":");
    JsonText.quote(s, role);
    s.append(",\"job\":");
    JsonText.quote(s, job);
    s.append(",\"party\":");
    JsonText.quote(s, party);
    s.append(",\"round\":");
    if (round != null && round.matches("-?\\d{1,18}")) {
      s.append(round);
    } else {
      JsonText.quote(s, round);
    }
    s.append(",\"logger\":");
    JsonText.quote(s, logger);
    s.append(",\"message\":");
    JsonText.quote(s, message);
    if (error != null) {
      s.append(",\"error\":");
      JsonText.quote(s, stackTrace(error));
    }
    return s.append('}').toString();
  }

  private static String orDash(String value) {
    return value == null || value.isEmpty() ? "-" : oneLine(value);
  }

  private static String shortName(String logger) {
    int dot = logger.lastIndexOf('.');
    return dot < 0 ? logger : logger.substring(dot + 1);
  }

  private static String oneLine(String text) {
    if (text == null) {
      return "null";
    }
    StringBuilder s = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      String replacement = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c < 0x20 && c != '\t' ? "?" : null;
      if (replacement != null && s == null) {
        s = new StringBuilder(text.length() + 8).append(text, 0, i);
      }
      if (s != null) {
        s.append(replacement != null ? replacement : String.valueOf(c));
      }
    }
    return s == null ? text : s.toString();
  }

  private static String stackTrace(Throwable error) {
    StringWriter out = new StringWriter();
    error.printStackTrace(new PrintWriter(out));
    return out.toString();
  }
}
