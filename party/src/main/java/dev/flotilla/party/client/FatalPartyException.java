package dev.flotilla.party.client;

import dev.flotilla.cli.CommandFailure;
import dev.flotilla.cli.ExitCode;

/**
 * An error that retrying cannot fix (bad certificate, refused by the server, data missing): the
 * party stops with {@link #exitCode()} from the project's table and the message, which says what a
 * person should do.
 */
public final class FatalPartyException extends CommandFailure {
  public FatalPartyException(ExitCode exitCode, String message) {
    super(exitCode, message);
  }

  public FatalPartyException(ExitCode exitCode, String message, Throwable cause) {
    super(exitCode, message, cause);
  }
}
