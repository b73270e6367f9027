package dev.flotilla.certs.cli;

import dev.flotilla.certs.PkiException;
import dev.flotilla.common.logging.LogSettings;
import java.io.PrintWriter;
import org.slf4j.event.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code bin/flotilla certs}: the PKI at a terminal. */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    version = "flotilla certs 0.1.0",
    description = "Flotilla PKI: a CA, SAN certificates for servers and parties, CSR signing, renewal.",
    subcommands = {
      InitCaCommand.class,
      IssueCommand.class,
      CsrCommand.class,
      SignCommand.class,
      ShowCommand.class,
      RenewCommand.class,
      CommandLine.HelpCommand.class
    })
public final class CertsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "missing subcommand (init-ca, issue, csr, sign, show, renew)");
  }

  public static void main(String[] args) {
    LogSettings.defaultLevelUnlessSet(Level.WARN);
    System.exit(commandLine().execute(args));
  }

  /**
   * The configured command line: bad input and refused requests print one line on stderr naming
   * the problem (exit 2 for usage errors, 1 for refused or failed operations).
   */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new CertsCommand());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler((ex, args) -> {
      CommandLine cmd = ex.getCommandLine();
      PrintWriter err = cmd.getErr();
      String name = cmd.getCommandSpec().qualifiedName();
      err.println(name + ": " + oneLine(ex.getMessage()) + " (see '" + name + " --help')");
      err.flush();
      return cmd.getCommandSpec().exitCodeOnInvalidInput();
    });
    cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
      PrintWriter err = cmd.getErr();
      String message = ex instanceof PkiException || ex instanceof IllegalArgumentException
          ? ex.getMessage()
          : ex.getClass().getSimpleName() + ": " + ex.getMessage();
      err.println(cmd.getCommandSpec().qualifiedName() + ": error: " + oneLine(message));
      err.flush();
      return 1;
    });
    return cl;
  }

  static String oneLine(String message) {
    return message == null ? "unknown error" : message.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
