package dev.flotilla.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Comparator;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One name-to-address mapping: an exact host ({@code server.example.org}) or a wildcard whose
 * only {@code *} is the whole first label ({@code *.server.example.org}, {@code *.a.party.example.org}),
 * and an IP literal. IPv4 gives an A record, IPv6 an AAAA record.
 *
 * <p>Host names are stored lower-case without a trailing dot; addresses in canonical text form
 * (IPv6 compressed as in RFC 5952), so equal records render to equal text.
 */
public final class DnsRecord implements Comparable<DnsRecord> {

  /** TTL, in seconds, of the answers CoreDNS gives for managed records (the iflearner README's value). */
  public static final int TTL_SECONDS = 60;

  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern IPV4 =
      Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

  private static final Comparator<DnsRecord> ORDER =
      Comparator.comparing(DnsRecord::zone)
          .thenComparing(DnsRecord::isWildcard)
          .thenComparing(DnsRecord::type)
          .thenComparing(DnsRecord::address);

  private final String host;
  private final String address;
  private final RecordType type;

  private DnsRecord(String host, String address, RecordType type) {
    this.host = host;
    this.address = address;
    this.type = type;
  }

  /**
   * A record for {@code host} answering {@code ip}.
   *
   * @throws InvalidRecordException naming the host or address when either is invalid
   */
  public static DnsRecord of(String host, String ip) {
    String normalisedHost = normaliseHost(host);
    InetAddress parsed = parseIp(ip);
    if (parsed instanceof Inet4Address) {
      return new DnsRecord(normalisedHost, parsed.getHostAddress(), RecordType.A);
    }
    return new DnsRecord(normalisedHost, canonicalIpv6(parsed.getAddress()), RecordType.AAAA);
  }

  /**
   * Parses {@code HOST=IP}, the form the CLI takes.
   *
   * @throws InvalidRecordException naming the value when it is not {@code HOST=IP} or either side is invalid
   */
  public static DnsRecord parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    int eq = spec.indexOf('=');
    if (eq < 0 || spec.indexOf('=', eq + 1) >= 0) {
      throw new InvalidRecordException("invalid record '" + spec + "': expected HOST=IP");
    }
    return of(spec.substring(0, eq).trim(), spec.substring(eq + 1).trim());
  }

  /**
   * Validates and normalises a host name (lower case, no trailing dot). A {@code *} is allowed
   * only as the whole first label, followed by at least one more label.
   *
   * @throws InvalidRecordException naming the host when it is not a valid DNS name
   */
  public static String normaliseHost(String host) {
    if (host == null || host.isBlank()) {
      throw new InvalidRecordException("invalid host '': empty host name");
    }
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (h.length() > 253) {
      throw new InvalidRecordException("invalid host '" + host + "': longer than 253 characters");
    }
    String[] labels = h.split("\\.", -1);
    for (int i = 0; i < labels.length; i++) {
      String label = labels[i];
      if (label.contains("*")) {
        if (i != 0 || !label.equals("*")) {
          throw new InvalidRecordException(
              "invalid host '" + host + "': a wildcard is allowed only as the whole first label, as in *.server.example.org");
        }
        if (labels.length < 2) {
          throw new InvalidRecordException("invalid host '" + host + "': a wildcard needs a domain after '*.'");
        }
        continue;
      }
      if (!LABEL.matcher(label).matches()) {
        throw new InvalidRecordException("invalid host '" + host + "': label '" + label
            + "' must be 1-63 letters, digits or '-', not starting or ending with '-'");
      }
    }
    return h;
  }

  private static InetAddress parseIp(String ip) {
    if (ip == null || ip.isBlank()) {
      throw new InvalidRecordException("invalid IP address '': empty");
    }
    String s = ip.trim();
    boolean literal = s.contains(":") ? IPV6_CHARS.matcher(s).matches() : IPV4.matcher(s).matches();
    if (!literal) {
      throw new InvalidRecordException("invalid IP address '" + ip + "': not an IPv4 or IPv6 literal");
    }
    try {
      // a literal never triggers a name lookup
      return InetAddress.getByName(s);
    } catch (UnknownHostException e) {
      throw new InvalidRecordException("invalid IP address '" + ip + "': not an IPv4 or IPv6 literal");
    }
  }

  /** RFC 5952 text: lower-case hex, no leading zeros, the longest run (length >= 2) of zero groups as {@code ::}. */
  static String canonicalIpv6(byte[] bytes) {
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLength = 0;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    if (bestLength < 2) {
      bestStart = -1;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(groups[i]));
    }
    return out.toString();
  }

  /** The host as written in records: lower case, no trailing dot, {@code *.} prefix for wildcards. */
  public String host() {
    return host;
  }

  /** The IP address in canonical text form. */
  public String address() {
    return address;
  }

  public RecordType type() {
    return type;
  }

  /** True for {@code *.domain} records, which match every name below the domain (not the domain itself). */
  public boolean isWildcard() {
    return host.startsWith("*.");
  }

  /** The domain the record sits in: the host without its {@code *.} prefix. Used as the template's zone. */
  public String zone() {
    return isWildcard() ? host.substring(2) : host;
  }

  /** True when this record answers a query for {@code name} (a concrete host name). */
  public boolean matches(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    if (isWildcard()) {
      return n.endsWith("." + zone()) && n.length() > zone().length() + 1;
    }
    return n.equals(host);
  }

  /**
   * True when some name is answered by both records, whatever their types: equal hosts, a
   * wildcard and a name below it, or two wildcards one of whose domains contains the other.
   */
  public boolean overlaps(DnsRecord other) {
    if (!isWildcard() && !other.isWildcard()) {
      return host.equals(other.host);
    }
    if (isWildcard() && other.isWildcard()) {
      return zone().equals(other.zone()) || zone().endsWith("." + other.zone()) || other.zone().endsWith("." + zone());
    }
    return isWildcard() ? matches(other.host) : other.matches(host);
  }

  /** Host and type: a record set holds at most one address per key. */
  public String key() {
    return host + " " + type;
  }

  @Override
  public int compareTo(DnsRecord other) {
    return ORDER.compare(this, other);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof DnsRecord)) {
      return false;
    }
    DnsRecord r = (DnsRecord) o;
    return host.equals(r.host) && address.equals(r.address) && type == r.type;
  }

  @Override
  public int hashCode() {
    return Objects.hash(host, address, type);
  }

  /** {@code HOST=IP}, the form {@link #parse} reads. */
  @Override
  public String toString() {
    return host + "=" + address;
  }
}
