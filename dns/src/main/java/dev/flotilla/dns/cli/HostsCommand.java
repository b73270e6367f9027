package dev.flotilla.dns.cli;

import dev.flotilla.dns.DnsRecord;
import dev.flotilla.dns.HostsFile;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code flotilla dns hosts}: the records as an /etc/hosts block. */
@Command(
    name = "hosts",
    mixinStandardHelpOptions = true,
    description = "Print the records as an /etc/hosts block (between '# BEGIN flotilla-dns' and "
        + "'# END flotilla-dns'), for bare-metal parties without cluster DNS. Hosts files have no "
        + "wildcards: list the concrete names a wildcard record must cover with --name.")
final class HostsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--record",
      paramLabel = "HOST=IP",
      required = true,
      converter = DnsCommand.RecordConverter.class,
      description = "A record, e.g. 'server.example.org=10.0.0.1' or '*.server.example.org=10.0.0.1'. Repeatable.")
  List<DnsRecord> records = new ArrayList<>();

  @Option(
      names = "--name",
      paramLabel = "HOST",
      converter = DnsCommand.HostConverter.class,
      description = "A concrete host name to list for the wildcard records that cover it, e.g. "
          + "job1.server.example.org. Repeatable.")
  List<String> names = new ArrayList<>();

  @Option(
      names = "--hosts-file",
      paramLabel = "FILE",
      description = "Print this hosts file with its flotilla-dns block replaced (or appended) instead of "
          + "the block alone. The file itself is not written.")
  String hostsFile;

  @Override
  public Integer call() {
    String block = HostsFile.render(records, names);
    String output = hostsFile == null ? block : HostsFile.replaceBlock(RenderCommand.read(hostsFile), block);
    spec.commandLine().getOut().print(output);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
