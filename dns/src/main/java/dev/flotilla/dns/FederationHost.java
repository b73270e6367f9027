package dev.flotilla.dns;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A host in one of the two federation shapes, taken apart: {@code job1.server.fl.example.org} is
 * the server of job {@code job1} in domain {@code fl.example.org}; {@code job1.a.party.fl.example.org}
 * is party {@code a} of job {@code job1} in the same domain. Says nothing about whether the name
 * may be published; {@link HostPolicy} does.
 *
 * @param host the host, lower case, without a trailing dot
 * @param role which shape it has
 * @param job the job label
 * @param party the party label; null for a server
 * @param domain the federation domain (at least two labels)
 */
public record FederationHost(String host, HostRole role, String job, String party, String domain) {

  public FederationHost {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(job, "job");
    Objects.requireNonNull(domain, "domain");
    if ((role == HostRole.PARTY) != (party != null)) {
      throw new IllegalArgumentException("a party host has a party label and a server host has none: " + host);
    }
  }

  /**
   * The host's shape and parts, or empty when it has neither shape. The host must already be
   * valid ({@link DnsRecord#normaliseHost}); labels {@code server} and {@code party} are checked
   * by {@link HostPolicy}, not here.
   */
  public static Optional<FederationHost> parse(String normalisedHost) {
    String[] l = normalisedHost.split("\\.");
    if (l.length >= 5 && l[2].equals("party")) {
      return Optional.of(new FederationHost(normalisedHost, HostRole.PARTY, l[0], l[1], join(l, 3)));
    }
    if (l.length >= 4 && l[1].equals("server")) {
      return Optional.of(new FederationHost(normalisedHost, HostRole.SERVER, l[0], null, join(l, 2)));
    }
    return Optional.empty();
  }

  /** The identity name: the party label of a party, the job label of a server (its job's name, by convention). */
  public String name() {
    return role == HostRole.PARTY ? party : job;
  }

  private static String join(String[] labels, int from) {
    return String.join(".", Arrays.copyOfRange(labels, from, labels.length));
  }
}
