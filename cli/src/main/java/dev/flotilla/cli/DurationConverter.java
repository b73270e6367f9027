package dev.flotilla.cli;

import java.time.Duration;
import picocli.CommandLine;

/** picocli's converter for every duration option: {@link Durations#parse}; a refusal says what is accepted. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    try {
      return Durations.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }

  /** The same, and zero refused: for periods and timeouts that must pass. */
  public static final class Positive implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Durations.parsePositive(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
