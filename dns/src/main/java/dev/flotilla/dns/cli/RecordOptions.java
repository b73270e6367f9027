package dev.flotilla.dns.cli;

import dev.flotilla.dns.DnsEdit;
import dev.flotilla.dns.DnsRecord;
import dev.flotilla.dns.InvalidRecordException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The record options render and apply share. */
final class RecordOptions {

  @Option(
      names = "--record",
      paramLabel = "HOST=IP",
      converter = DnsCommand.RecordConverter.class,
      description = "A record to add or replace: an exact host or *.domain, and an IPv4 (A) or IPv6 (AAAA) "
          + "address, e.g. '*.server.example.org=10.0.0.1'. Repeatable.")
  List<DnsRecord> records = new ArrayList<>();

  @Option(
      names = "--remove",
      paramLabel = "HOST",
      converter = DnsCommand.HostConverter.class,
      description = "A host whose records (A and AAAA) to remove from the owner's region. Repeatable.")
  List<String> removals = new ArrayList<>();

  @Option(
      names = "--owner",
      paramLabel = "OWNER",
      defaultValue = "cli",
      description = "Owner of the managed region to edit (default: ${DEFAULT-VALUE}); other owners' records "
          + "are never touched. The controller uses iflearnerjob/<namespace>/<name>.")
  String owner;

  @Option(
      names = "--replace",
      description = "Make the owner's records exactly the --record set (removing its others) instead of "
          + "adding to them.")
  boolean replace;

  @Option(
      names = "--server-block",
      paramLabel = "KEY",
      defaultValue = ".:53",
      description = "Key of the server block to edit (default: ${DEFAULT-VALUE}).")
  String serverBlock;

  DnsEdit edit() {
    if (replace) {
      if (!removals.isEmpty()) {
        throw new InvalidRecordException("--replace and --remove do not go together: "
            + "--replace already removes every record not given with --record");
      }
      return DnsEdit.replaceAll(owner, records);
    }
    return DnsEdit.change(owner, records, removals);
  }
}
