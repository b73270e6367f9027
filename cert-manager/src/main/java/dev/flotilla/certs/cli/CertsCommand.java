package dev.flotilla.certs.cli;

import dev.flotilla.certs.PkiException;
import dev.flotilla.cli.Cli;
import dev.flotilla.cli.ExitCode;
import picocli.CommandLine;
import dev.flotilla.common.logging.LogSettings;
import java.io.PrintWriter;
import org.slf4j.event.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code bin/flotilla certs}: the PKI at a terminal. */
@Command(
    name = "flotilla certs",
    description = "Flotilla PKI: a CA, SAN certificates for servers and parties, CSR signing, renewal.",
    subcommands = {
      InitCaCommand.class,
      IssueCommand.class,
      CsrCommand.class,
      SignCommand.class,
      ShowCommand.class,
      RenewCommand.class,
      EnrollCommand.class,
      CommandLine.HelpCommand.class
    })
public final class CertsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "missing subcommand (init-ca, issue, csr, sign, show, renew, enroll)");
  }

  public static void main(String[] args) {
    LogSettings.defaultLevelUnlessSet(Level.WARN);
    System.exit(commandLine().execute(args));
  }

  /**
   * The configured command line: bad input and refused requests print one line on stderr naming the
   * problem, with the exit code of the project's table (2 usage, 4 missing file, 5 refused, 6 unusable input).
   */
  public static CommandLine commandLine() {
    CommandLine cl = Cli.commandLine(new CertsCommand(), CertsOptions.SETS, CertsCommand::exitCode);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  private static ExitCode exitCode(Throwable t) {
    if (t instanceof PkiException) {
      return ExitCode.BAD_INPUT;
    }
    return t instanceof IllegalArgumentException ? ExitCode.USAGE : null;
  }
}
