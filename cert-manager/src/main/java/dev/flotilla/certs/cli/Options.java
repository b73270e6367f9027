package dev.flotilla.certs.cli;

import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import java.time.Duration;
import picocli.CommandLine;

/** Converters shared by the subcommands, with one-line messages that name the bad value. */
final class Options {
  private Options() {}

  static final class RoleConverter implements CommandLine.ITypeConverter<Role> {
    @Override
    public Role convert(String value) {
      try {
        return Role.fromCliName(value);
      } catch (PkiException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  static final class KeyTypeConverter implements CommandLine.ITypeConverter<KeyType> {
    @Override
    public KeyType convert(String value) {
      try {
        return KeyType.fromCliName(value);
      } catch (PkiException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  static Duration days(CommandLine.Model.CommandSpec spec, int days) {
    if (days <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--days must be positive, was " + days);
    }
    return Duration.ofDays(days);
  }
}
