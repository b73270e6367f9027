package dev.flotilla.dns;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A change to the records of one owner. Each owner (a job, a person's CLI session...) has its own
 * managed region in the Corefile, so owners never touch each other's records.
 *
 * <ul>
 *   <li>{@link #replaceAll}: the owner's records become exactly the given set (the controller's
 *       reconcile); an empty set removes the owner's region.
 *   <li>{@link #removeOwner}: the owner's region goes away (the controller's finalizer).
 *   <li>{@link #change}: add or replace some records and remove some hosts, keeping the owner's
 *       other records (the CLI's {@code --record}/{@code --remove}).
 * </ul>
 */
public final class DnsEdit {

  private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:-]{0,252}");

  private final String owner;
  private final boolean replace;
  private final boolean exclusive;
  private final List<DnsRecord> records;
  private final Set<String> removedHosts;

  private DnsEdit(String owner, boolean replace, boolean exclusive, Collection<DnsRecord> records,
      Collection<String> removedHosts) {
    this.owner = validOwner(owner);
    this.replace = replace;
    this.exclusive = exclusive;
    this.records = List.copyOf(uniqueByKey(records));
    Set<String> hosts = new LinkedHashSet<>();
    for (String h : removedHosts) {
      hosts.add(DnsRecord.normaliseHost(h));
    }
    this.removedHosts = Set.copyOf(hosts);
  }

  /** The owner's records become exactly {@code records}; an empty collection removes its region. */
  public static DnsEdit replaceAll(String owner, Collection<DnsRecord> records) {
    return new DnsEdit(owner, true, false, records, List.of());
  }

  /**
   * Like {@link #replaceAll}, but only if no other owner's region before this owner's (or, when
   * it has none yet, no other owner's region at all) answers a name these records answer; else
   * the editor throws {@link NameClaimedException} and changes nothing. Checked on the text the
   * write is locked to, so two owners racing for a name cannot both get it.
   */
  public static DnsEdit claim(String owner, Collection<DnsRecord> records) {
    return new DnsEdit(owner, true, true, records, List.of());
  }

  /** Removes every record of {@code owner}, and its region. */
  public static DnsEdit removeOwner(String owner) {
    return new DnsEdit(owner, true, false, List.of(), List.of());
  }

  /**
   * Adds {@code upserts} (replacing an existing record with the same host and type), then removes
   * every record whose host is in {@code removedHosts}; the owner's other records stay.
   */
  public static DnsEdit change(String owner, Collection<DnsRecord> upserts, Collection<String> removedHosts) {
    return new DnsEdit(owner, false, false, upserts, removedHosts);
  }

  /**
   * An owner key: letters, digits and {@code . _ / : -}, starting with a letter or digit, e.g.
   * {@code iflearnerjob/default/mnist}.
   *
   * @throws InvalidRecordException when the key has other characters
   */
  public static String validOwner(String owner) {
    if (owner == null || !OWNER.matcher(owner).matches()) {
      throw new InvalidRecordException("invalid owner '" + owner
          + "': use letters, digits and . _ / : - (starting with a letter or digit)");
    }
    return owner;
  }

  public String owner() {
    return owner;
  }

  /** The records this edit adds or sets. */
  public List<DnsRecord> records() {
    return records;
  }

  /** Hosts whose records this edit removes (normalised). */
  public Set<String> removedHosts() {
    return removedHosts;
  }

  /** True when the edit sets the owner's whole record set and does not depend on what is there. */
  public boolean replacesAll() {
    return replace;
  }

  /** True when the edit must not take a name another owner's earlier region answers ({@link #claim}). */
  public boolean exclusive() {
    return exclusive;
  }

  /** The owner's records after this edit, given those before it. */
  SortedSet<DnsRecord> applyTo(Collection<DnsRecord> current) {
    if (replace) {
      return new TreeSet<>(records);
    }
    Map<String, DnsRecord> byKey = new TreeMap<>();
    for (DnsRecord r : current) {
      byKey.put(r.key(), r);
    }
    for (DnsRecord r : records) {
      byKey.put(r.key(), r);
    }
    byKey.values().removeIf(r -> removedHosts.contains(r.host()));
    return new TreeSet<>(byKey.values());
  }

  private static List<DnsRecord> uniqueByKey(Collection<DnsRecord> records) {
    Map<String, DnsRecord> byKey = new TreeMap<>();
    for (DnsRecord r : Objects.requireNonNull(records, "records")) {
      DnsRecord previous = byKey.putIfAbsent(r.key(), Objects.requireNonNull(r, "record"));
      if (previous != null && !previous.equals(r)) {
        throw new InvalidRecordException("conflicting records for " + r.host() + " (" + r.type() + "): "
            + previous.address() + " and " + r.address());
      }
    }
    return new ArrayList<>(byKey.values());
  }

  @Override
  public String toString() {
    return (exclusive ? "claim " : replace ? "replace " : "change ") + owner + " " + records + (removedHosts.isEmpty() ? "" : " remove " + removedHosts);
  }
}
