package dev.flotilla.dns;

import dev.flotilla.dns.HostVerdict.Reason;
import java.util.Collection;
import java.util.Collections;
import java.util.Locale;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which hosts a job may have and the controller may publish in the cluster's DNS. Pure rules,
 * no I/O; who already holds a name is {@link CorefileEditor}'s business, under the ConfigMap's
 * resourceVersion lock.
 *
 * <p>A host is accepted for a role when, in this order: it is a valid DNS name (labels of 1-63
 * letters, digits and '-', at most 253 characters, no wildcard); it is not an IP literal, a
 * single label, a name under the cluster domain(s) or under a special-use domain
 * ({@value #SPECIAL_USE_LIST}); it has the role's shape ({@link HostRole#shape()}) with job and
 * party labels other than {@code server} and {@code party}; and, when the allow-list is not
 * empty, its federation domain is an allowed domain or below one.
 *
 * @param clusterDomains the cluster's DNS domains; {@value #DEFAULT_CLUSTER_DOMAIN} is always one
 * @param allowedDomains federation domains jobs may use (and their subdomains); empty: any domain
 */
public record HostPolicy(SortedSet<String> clusterDomains, SortedSet<String> allowedDomains) {

  public static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";

  /** RFC 6761 (localhost, invalid), RFC 6762 (local), RFC 7686 (onion), RFC 9476 (alt), and arpa (in-addr.arpa, ip6.arpa, home.arpa). */
  static final Set<String> SPECIAL_USE_TOP_LABELS = Set.of("localhost", "invalid", "local", "onion", "alt", "arpa");
  static final String SPECIAL_USE_LIST = "localhost, invalid, local, onion, alt, arpa";
  private static final Set<String> RESERVED_LABELS = Set.of("server", "party");
  /** Longer than any DNS name (253) with room for a trailing dot and spaces: checked before any other work. */
  private static final int MAX_INPUT = 300;
  private static final Pattern IPV4_LIKE = Pattern.compile("[0-9.]+");

  /** Use {@link #of}, which validates and normalises; this keeps {@value #DEFAULT_CLUSTER_DOMAIN} reserved whatever it is given. */
  public HostPolicy {
    SortedSet<String> cluster = new TreeSet<>(clusterDomains);
    cluster.add(DEFAULT_CLUSTER_DOMAIN);
    clusterDomains = Collections.unmodifiableSortedSet(cluster);
    allowedDomains = Collections.unmodifiableSortedSet(new TreeSet<>(allowedDomains));
  }

  /** Cluster domain {@value #DEFAULT_CLUSTER_DOMAIN}, any federation domain. */
  public static HostPolicy defaults() {
    return of(Set.of(), Set.of());
  }

  /**
   * A policy for the given cluster domains (besides {@value #DEFAULT_CLUSTER_DOMAIN}) and allowed
   * federation domains, each validated and normalised.
   *
   * @throws IllegalArgumentException naming a domain that is not a valid name, or an allowed
   *     domain that is itself reserved (a cluster domain, a special-use domain, a single label)
   */
  public static HostPolicy of(Collection<String> clusterDomains, Collection<String> allowedDomains) {
    SortedSet<String> cluster = new TreeSet<>();
    cluster.add(DEFAULT_CLUSTER_DOMAIN);
    for (String d : clusterDomains) {
      cluster.add(domain(d, "cluster domain"));
    }
    SortedSet<String> allowed = new TreeSet<>();
    HostPolicy probe = new HostPolicy(cluster, new TreeSet<>());
    for (String d : allowedDomains) {
      String n = domain(d, "allowed domain");
      String reserved = probe.reservedBecause(n);
      if (reserved != null) {
        throw new IllegalArgumentException("allowed domain '" + d + "' cannot be used: " + reserved);
      }
      allowed.add(n);
    }
    return new HostPolicy(cluster, allowed);
  }

  /** Checks {@code host} for {@code role}; the refusal's message names the host and the rule. */
  public HostVerdict check(String host, HostRole role) {
    if (host == null || host.isBlank()) {
      return new HostVerdict.Refused(Reason.INVALID, "no host given: a " + roleName(role) + "'s host is " + role.shape());
    }
    if (host.length() > MAX_INPUT) {
      return new HostVerdict.Refused(Reason.INVALID, "host of " + host.length() + " characters: a DNS name has at most 253");
    }
    String trimmed = host.trim().toLowerCase(Locale.ROOT);
    if (trimmed.contains(":") || trimmed.startsWith("[") || IPV4_LIKE.matcher(trimmed).matches()) {
      return new HostVerdict.Refused(Reason.RESERVED, "host '" + host + "' is an IP literal, not a name");
    }
    if (trimmed.contains("*")) {
      return new HostVerdict.Refused(Reason.INVALID, "host '" + host + "' is a wildcard; a job has exactly one host");
    }
    String normalised;
    try {
      normalised = DnsRecord.normaliseHost(trimmed);
    } catch (InvalidRecordException e) {
      return new HostVerdict.Refused(Reason.INVALID, e.getMessage());
    }
    String reserved = reservedBecause(normalised);
    if (reserved != null) {
      return new HostVerdict.Refused(Reason.RESERVED, "host '" + normalised + "' " + reserved);
    }
    FederationHost parsed = FederationHost.parse(normalised).orElse(null);
    if (parsed == null || parsed.role() != role) {
      return new HostVerdict.Refused(Reason.ROLE_MISFIT, "host '" + normalised + "' does not fit the " + roleName(role)
          + " role: a " + roleName(role) + "'s host is " + role.shape());
    }
    if (RESERVED_LABELS.contains(parsed.job()) || (parsed.party() != null && RESERVED_LABELS.contains(parsed.party()))) {
      return new HostVerdict.Refused(Reason.ROLE_MISFIT, "host '" + normalised
          + "': 'server' and 'party' mark the role in a host and cannot be a job's or a party's name");
    }
    if (!allowedDomains.isEmpty() && allowedDomains.stream().noneMatch(a -> equalOrBelow(parsed.domain(), a))) {
      return new HostVerdict.Refused(Reason.DOMAIN_NOT_ALLOWED, "host '" + normalised + "': domain '" + parsed.domain()
          + "' is not one of the allowed domains " + allowedDomains + " nor below one");
    }
    return new HostVerdict.Accepted(parsed);
  }

  /** Why a normalised name may never be published, or null. */
  private String reservedBecause(String name) {
    String[] labels = name.split("\\.");
    if (labels.length < 2) {
      return "is a single-label name, which resolvers complete with search domains";
    }
    for (String cluster : clusterDomains) {
      if (equalOrBelow(name, cluster)) {
        return "is under the cluster domain " + cluster + ", which only the cluster's own DNS answers";
      }
    }
    String top = labels[labels.length - 1];
    if (top.chars().allMatch(Character::isDigit)) {
      return "ends in a numeric label, which no top-level domain is (an IP literal?)";
    }
    if (SPECIAL_USE_TOP_LABELS.contains(top)) {
      return "is under the special-use domain ." + top + " (" + SPECIAL_USE_LIST + " are never published)";
    }
    return null;
  }

  private static boolean equalOrBelow(String name, String domain) {
    return name.equals(domain) || name.endsWith("." + domain);
  }

  private static String roleName(HostRole role) {
    return role == HostRole.SERVER ? "server" : "party";
  }

  private static String domain(String value, String what) {
    if (value == null || value.isBlank() || value.contains("*") || value.length() > MAX_INPUT) {
      throw new IllegalArgumentException(what + " '" + value + "' is not a DNS name");
    }
    try {
      return DnsRecord.normaliseHost(value);
    } catch (InvalidRecordException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
  }
}
