package dev.flotilla.dns.cli;

import dev.flotilla.common.logging.LogSettings;
import dev.flotilla.dns.CoreDnsUpdateException;
import dev.flotilla.dns.CorefileEditException;
import dev.flotilla.dns.CorefileParseException;
import dev.flotilla.dns.DnsRecord;
import dev.flotilla.dns.InvalidRecordException;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import org.slf4j.event.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine;

/** {@code flotilla dns}: CoreDNS template records for the cluster and /etc/hosts blocks for bare metal. */
@Command(
    name = "flotilla dns",
    mixinStandardHelpOptions = true,
    version = "flotilla dns 0.1.0",
    description = "CoreDNS template records (A/AAAA, wildcards such as *.server.example.org) in managed "
        + "regions of a Corefile, and /etc/hosts blocks for hosts without cluster DNS.",
    subcommands = {RenderCommand.class, HostsCommand.class, ApplyCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:done",
      "1:cluster error (unreachable API server, ConfigMap or key missing, conflicts without end)",
      "2:bad input (Corefile that does not parse, invalid host or IP, misplaced wildcard, unknown option)"
    })
public final class DnsCommand implements Runnable {

  static final int EXIT_CLUSTER = 1;
  static final int EXIT_BAD_INPUT = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: render, hosts or apply (see --help)");
  }

  public static void main(String[] args) {
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command line with the given streams; returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    LogSettings.defaultLevelUnlessSet(Level.WARN);
    CommandLine cli = new CommandLine(new DnsCommand());
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler((e, a) -> {
      e.getCommandLine().getErr().println(qualifiedName(e.getCommandLine()) + ": " + e.getMessage());
      return EXIT_BAD_INPUT;
    });
    cli.setExecutionExceptionHandler((e, c, parseResult) -> {
      c.getErr().println(qualifiedName(c) + ": " + message(e));
      return exitCode(e);
    });
    return cli.execute(args);
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

  private static int exitCode(Exception e) {
    if (e instanceof CorefileParseException
        || e instanceof CorefileEditException
        || e instanceof InvalidRecordException
        || e instanceof UncheckedIOException) {
      return EXIT_BAD_INPUT;
    }
    if (e instanceof CoreDnsUpdateException || e instanceof KubernetesClientException) {
      return EXIT_CLUSTER;
    }
    return EXIT_CLUSTER;
  }

  /** {@code HOST=IP} on the command line. */
  static final class RecordConverter implements ITypeConverter<DnsRecord> {
    @Override
    public DnsRecord convert(String value) {
      try {
        return DnsRecord.parse(value);
      } catch (InvalidRecordException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** A host name (exact or wildcard) on the command line. */
  static final class HostConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      try {
        return DnsRecord.normaliseHost(value);
      } catch (InvalidRecordException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
