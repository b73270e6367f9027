package dev.flotilla.dns;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Renders records as an /etc/hosts block for bare-metal parties without cluster DNS. A hosts file
 * has no wildcards, so a wildcard record is written once per concrete name it covers among
 * {@code names} (e.g. {@code job1.server.example.org} for {@code *.server.example.org}); a wildcard
 * that covers none of them becomes a comment saying so. An exact record beats a wildcard, and a
 * longer wildcard beats a shorter one.
 */
public final class HostsFile {

  public static final String BEGIN = "# BEGIN flotilla-dns";
  public static final String END = "# END flotilla-dns";

  private HostsFile() {}

  /** The block for {@code records}, exact hosts only. */
  public static String render(Collection<DnsRecord> records) {
    return render(records, List.of());
  }

  /**
   * The block: {@link #BEGIN}, one {@code ADDRESS<TAB>HOST} line per name and type, {@link #END}.
   *
   * @param names concrete host names to list for wildcard records
   * @throws InvalidRecordException when a name is not a valid concrete host name
   */
  public static String render(Collection<DnsRecord> records, Collection<String> names) {
    Set<String> wanted = new LinkedHashSet<>();
    for (DnsRecord r : records) {
      if (!r.isWildcard()) {
        wanted.add(r.host());
      }
    }
    for (String n : names) {
      String host = DnsRecord.normaliseHost(n);
      if (host.startsWith("*.")) {
        throw new InvalidRecordException("invalid name '" + n + "': a hosts file needs concrete names, not wildcards");
      }
      wanted.add(host);
    }
    Map<String, List<String>> lines = new TreeMap<>();
    List<String> unused = new ArrayList<>();
    for (RecordType type : RecordType.values()) {
      for (String host : wanted) {
        best(records, host, type).ifPresent(r -> lines.computeIfAbsent(host, h -> new ArrayList<>()).add(r.address() + "\t" + host));
      }
    }
    for (DnsRecord r : new TreeSet<>(records)) {
      if (r.isWildcard() && wanted.stream().noneMatch(r::matches)) {
        unused.add("# " + r.host() + " -> " + r.address() + ": hosts files have no wildcards; name the hosts with --name");
      }
    }
    StringBuilder out = new StringBuilder(BEGIN).append('\n');
    lines.values().forEach(l -> l.forEach(line -> out.append(line).append('\n')));
    unused.forEach(line -> out.append(line).append('\n'));
    return out.append(END).append('\n').toString();
  }

  /**
   * {@code hostsText} with its flotilla-dns block replaced by {@code block} (appended when it has
   * none); every other line stays as it was.
   */
  public static String replaceBlock(String hostsText, String block) {
    int begin = hostsText.indexOf(BEGIN);
    int end = hostsText.indexOf(END, Math.max(begin, 0));
    if (begin < 0 || end < 0) {
      String sep = hostsText.isEmpty() || hostsText.endsWith("\n") ? "" : "\n";
      return hostsText + sep + block;
    }
    int afterEnd = hostsText.indexOf('\n', end);
    afterEnd = afterEnd < 0 ? hostsText.length() : afterEnd + 1;
    return hostsText.substring(0, begin) + block + hostsText.substring(afterEnd);
  }

  private static Optional<DnsRecord> best(Collection<DnsRecord> records, String host, RecordType type) {
    return records.stream()
        .filter(r -> r.type() == type && r.matches(host))
        .max((a, b) -> {
          if (a.isWildcard() != b.isWildcard()) {
            return a.isWildcard() ? -1 : 1;
          }
          int byLength = Integer.compare(a.zone().length(), b.zone().length());
          return byLength != 0 ? byLength : b.compareTo(a);
        });
  }
}
