package dev.flotilla.server;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Durations as ISO-8601 (PT60S) or a number with a unit: 500ms, 60s, 5m, 1h (a bare number is seconds). */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

  private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  public static Duration parse(String value) {
    String v = value.trim();
    Matcher m = SIMPLE.matcher(v);
    if (m.matches()) {
      double n = Double.parseDouble(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      double millis = switch (unit) {
        case "ms" -> n;
        case "m" -> n * 60_000;
        case "h" -> n * 3_600_000;
        default -> n * 1000;
      };
      return Duration.ofMillis(Math.round(millis));
    }
    try {
      Duration d = Duration.parse(v);
      if (d.isNegative()) {
        throw new CommandLine.TypeConversionException("'" + value + "' is negative");
      }
      return d;
    } catch (DateTimeParseException e) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (use e.g. 60s, 5m, 500ms or PT60S)");
    }
  }
}
