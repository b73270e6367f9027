package dev.flotilla.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration syntax of every Flotilla command line: what Kubernetes and Go tools write
 * ({@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, {@code 2d}, several at once as in {@code 1h30m},
 * decimals as in {@code 1.5h}), ISO-8601 ({@code PT10M}, {@code P1D}, any case), or a bare number of
 * seconds ({@code 300}, what the server and the demo always took). Never negative; whether zero is
 * allowed is the option's business.
 */
public final class Durations {

  /** Longer than any sensible timeout or period, and far from Duration's overflow. */
  public static final Duration MAX = Duration.ofDays(3650);

  private static final Pattern PART = Pattern.compile("(\\d{1,12}(?:\\.\\d{1,9})?)(ms|s|m|h|d)");
  private static final Pattern PARTS = Pattern.compile("(?:\\d{1,12}(?:\\.\\d{1,9})?(?:ms|s|m|h|d))+");
  private static final Pattern SECONDS = Pattern.compile("\\d{1,12}(?:\\.\\d{1,9})?");

  private Durations() {}

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException saying what was wrong and what is accepted
   */
  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("an empty duration; " + HINT);
    }
    String v = text.strip();
    if (v.startsWith("-")) {
      throw new IllegalArgumentException("'" + printable(text) + "' is negative; a duration is at least 0");
    }
    Duration d;
    if (SECONDS.matcher(v).matches()) {
      d = nanos(new BigDecimal(v), 1_000_000_000L);
    } else if (PARTS.matcher(v).matches()) {
      d = Duration.ZERO;
      Matcher m = PART.matcher(v);
      while (m.find()) {
        d = d.plus(nanos(new BigDecimal(m.group(1)), unitNanos(m.group(2))));
      }
    } else if (v.length() <= 64 && (v.charAt(0) == 'P' || v.charAt(0) == 'p' || v.charAt(0) == '+')) {
      try {
        d = Duration.parse(v);
      } catch (DateTimeParseException | ArithmeticException e) {
        throw new IllegalArgumentException("'" + printable(text) + "' is not a duration; " + HINT);
      }
    } else {
      throw new IllegalArgumentException("'" + printable(text) + "' is not a duration; " + HINT);
    }
    if (d.isNegative()) {
      throw new IllegalArgumentException("'" + printable(text) + "' is negative; a duration is at least 0");
    }
    if (d.compareTo(MAX) > 0) {
      throw new IllegalArgumentException("'" + printable(text) + "' is longer than " + MAX.toDays() + " days");
    }
    return d;
  }

  /** A positive duration: {@link #parse}, and zero refused. */
  public static Duration parsePositive(String text) {
    Duration d = parse(text);
    if (d.isZero()) {
      throw new IllegalArgumentException("'" + printable(text) + "' is zero; a positive duration is needed");
    }
    return d;
  }

  /** The short form of {@code d} ({@code 10m}, {@code 1h30m}, {@code 500ms}, {@code 0s}), which {@link #parse} reads back. */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder out = new StringBuilder();
    long days = d.toDays();
    Duration rest = d.minusDays(days);
    append(out, days, "d");
    append(out, rest.toHoursPart(), "h");
    append(out, rest.toMinutesPart(), "m");
    append(out, rest.toSecondsPart(), "s");
    append(out, rest.toMillisPart(), "ms");
    return out.length() == 0 ? d.toString() : out.toString();
  }

  static final String HINT = "use a number with a unit (500ms, 30s, 10m, 1h, 2d, 1h30m), ISO-8601 (PT10M) or seconds (300)";

  private static void append(StringBuilder out, long amount, String unit) {
    if (amount != 0) {
      out.append(amount).append(unit);
    }
  }

  private static long unitNanos(String unit) {
    return switch (unit) {
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      default -> 86_400_000_000_000L;
    };
  }

  private static Duration nanos(BigDecimal amount, long unitNanos) {
    BigDecimal total = amount.multiply(BigDecimal.valueOf(unitNanos));
    if (total.compareTo(BigDecimal.valueOf(MAX.toNanos())) > 0) {
      return MAX.plusNanos(1);
    }
    return Duration.ofNanos(total.longValue());
  }

  private static String printable(String value) {
    String cut = value.length() > 64 ? value.substring(0, 64) + "..." : value;
    StringBuilder out = new StringBuilder(cut.length());
    cut.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : "?"));
    return out.toString();
  }
}
