package dev.flotilla.dns.cli;

import dev.flotilla.dns.DnsEdit;
import dev.flotilla.dns.DnsRecord;
import dev.flotilla.dns.InvalidRecordException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The record options render and apply share. */
final class RecordOptions {

  @Option(names = "--record")
  List<DnsRecord> records = new ArrayList<>();

  @Option(names = "--remove")
  List<String> removals = new ArrayList<>();

  @Option(names = "--owner")
  String owner;

  @Option(names = "--replace")
  boolean replace;

  @Option(names = "--server-block")
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
