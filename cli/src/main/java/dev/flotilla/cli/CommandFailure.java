package dev.flotilla.cli;

/**
 * Why a command stops: one line for stderr, and the {@link ExitCode} that tells a script what kind of
 * problem it is. Thrown anywhere below a command's {@code call()}; {@link Cli} prints and maps it,
 * also when it arrives wrapped (Guice provisioning, an executor).
 */
public class CommandFailure extends RuntimeException {
  private final ExitCode exitCode;

  public CommandFailure(ExitCode exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public CommandFailure(ExitCode exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public ExitCode exitCode() {
    return exitCode;
  }
}
