package dev.flotilla.common.logging;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The {@code --log-format} flag, one definition for every command ({@code @Mixin LogOptions logOptions;}). */
public final class LogOptions {

  @Option(names = "--log-format", paramLabel = "FORMAT", converter = FormatConverter.class,
      description = "Log lines as 'human' (default) or 'json' (one object a line); also the environment variable "
          + LogSettings.FORMAT_ENV + ". Every line names the job, role, party and round.")
  void setFormat(LogFormat format) {
    LogSettings.setFormat(format);
  }

  static final class FormatConverter implements ITypeConverter<LogFormat> {
    @Override
    public LogFormat convert(String value) {
      try {
        return LogFormat.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
