package dev.flotilla.dns.cli;

import dev.flotilla.cli.Cli;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.common.logging.LogSettings;
import dev.flotilla.dns.CoreDnsUpdateException;
import dev.flotilla.dns.CorefileEditException;
import dev.flotilla.dns.CorefileParseException;
import dev.flotilla.dns.InvalidRecordException;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import org.slf4j.event.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code flotilla dns}: CoreDNS template records for the cluster and /etc/hosts blocks for bare metal. */
@Command(
    name = "flotilla dns",
    description = "CoreDNS template records (A/AAAA, wildcards such as *.server.example.org) in managed "
        + "regions of a Corefile, and /etc/hosts blocks for hosts without cluster DNS.",
    subcommands = {RenderCommand.class, HostsCommand.class, ApplyCommand.class, CommandLine.HelpCommand.class})
public final class DnsCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: render, hosts or apply");
  }

  public static void main(String[] args) {
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command line with the given streams; returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    LogSettings.defaultLevelUnlessSet(Level.WARN);
    CommandLine cli = commandLine();
    cli.setOut(out);
    cli.setErr(err);
    return cli.execute(args);
  }

  /** The command line with the project's look and exit codes. */
  public static CommandLine commandLine() {
    CommandLine cli = Cli.commandLine(new DnsCommand(), DnsOptions.SETS, t -> null);
    // the table's codes, and messages that name the I/O failure under a cluster error
    cli.setExecutionExceptionHandler((e, c, parseResult) -> {
      c.getErr().println(qualifiedName(c) + ": " + message(e));
      return exitCode(e).code();
    });
    return cli;
  }

  private static String qualifiedName(CommandLine c) {
    return c.getCommandSpec().qualifiedName();
  }

  private static String message(Exception e) {
    if (e instanceof UncheckedIOException && e.getCause() != null) {
      return e.getCause().getMessage();
    }
    String message = e.getMessage();
    if (e instanceof CoreDnsUpdateException || e instanceof KubernetesClientException) {
      // name the I/O failure underneath (connection refused, TLS, timeout), which fabric8's message omits
      IOException io = null;
      for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
        if (cause instanceof IOException && (io == null || io.getClass() == IOException.class)) {
          io = (IOException) cause;
        }
      }
      if (io != null) {
        String detail = io.getClass().getSimpleName() + (io.getMessage() == null ? "" : ": " + io.getMessage());
        if (!message.contains(detail)) {
          message = message + " (" + detail + ")";
        }
      }
    }
    return message.replace('\n', ' ').replaceAll("\\s+", " ").strip();
  }

  static ExitCode exitCode(Exception e) {
    if (e instanceof InvalidRecordException) {
      return ExitCode.USAGE; // a flag's value or a combination of flags
    }
    for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof java.nio.file.NoSuchFileException) {
        return ExitCode.MISSING;
      }
    }
    if (e instanceof CorefileParseException
        || e instanceof CorefileEditException
        || e instanceof UncheckedIOException) {
      return ExitCode.BAD_INPUT;
    }
    if (e instanceof CoreDnsUpdateException update) {
      return switch (update.reason()) {
        case CONFIGMAP_NOT_FOUND, KEY_NOT_FOUND -> ExitCode.MISSING;
        case API_ERROR -> update.getCause() instanceof KubernetesClientException k ? ofApi(k) : ExitCode.UNREACHABLE;
        default -> ExitCode.INTERNAL;
      };
    }
    if (e instanceof KubernetesClientException k) {
      return ofApi(k);
    }
    return ExitCode.INTERNAL;
  }

  /** 401/403: refused; 404: missing; no HTTP answer at all: unreachable. */
  private static ExitCode ofApi(KubernetesClientException e) {
    for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof IOException) {
        return ExitCode.UNREACHABLE;
      }
    }
    return switch (e.getCode()) {
      case 401, 403 -> ExitCode.REFUSED;
      case 404 -> ExitCode.MISSING;
      case 0, -1 -> ExitCode.UNREACHABLE;
      default -> ExitCode.INTERNAL;
    };
  }
}
