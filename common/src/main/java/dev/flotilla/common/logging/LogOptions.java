package dev.flotilla.common.logging;

import dev.flotilla.cli.ConfigOption;
import picocli.CommandLine.Option;

/**
 * The {@code --log-format} flag, one definition for every command ({@code @Mixin LogOptions logOptions;}, and
 * {@link #FORMAT} in the command's option set, which gives it its words and parser).
 */
public final class LogOptions {

  /** No default value: picocli sets the format only when the flag is given, so the variable still counts. */
  public static final ConfigOption<LogFormat> FORMAT =
      ConfigOption.of("--log-format", "FORMAT", LogFormat::parse, LogFormat::flagValue)
          .defaultText("human, or the environment variable " + LogSettings.FORMAT_ENV)
          .description("Log lines as 'human' or 'json' (one object a line). Every line names the job, role, party and "
              + "round.");

  @Option(names = "--log-format")
  void setFormat(LogFormat format) {
    LogSettings.setFormat(format);
  }
}
