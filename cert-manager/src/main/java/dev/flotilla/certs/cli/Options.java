package dev.flotilla.certs.cli;

import java.time.Duration;
import picocli.CommandLine;

/** What the subcommands check alike. */
final class Options {
  private Options() {}

  static Duration days(CommandLine.Model.CommandSpec spec, int days) {
    if (days <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--days must be positive, was " + days);
    }
    return Duration.ofDays(days);
  }
}
