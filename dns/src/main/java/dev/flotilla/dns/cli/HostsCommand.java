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

  @Option(names = "--record", required = true)
  List<DnsRecord> records = new ArrayList<>();

  @Option(names = "--name")
  List<String> names = new ArrayList<>();

  @Option(names = "--hosts-file")
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
