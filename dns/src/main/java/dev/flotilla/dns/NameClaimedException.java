package dev.flotilla.dns;

import java.util.Objects;

/**
 * An exclusive edit ({@link DnsEdit#claim}) wanted a name that an earlier region of another
 * owner already answers. Nothing is written. The first region that answers a name keeps it
 * (it is also the one CoreDNS answers with), until its owner removes it.
 */
public class NameClaimedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String host;
  private final String holder;

  public NameClaimedException(String host, String holder, String claimant) {
    super("'" + host + "' is already published by owner '" + holder + "'; owner '" + claimant + "' cannot publish it");
    this.host = Objects.requireNonNull(host, "host");
    this.holder = Objects.requireNonNull(holder, "holder");
  }

  /** The host the claimant wanted (its record's host, {@code *.} included for a wildcard). */
  public String host() {
    return host;
  }

  /** The owner key of the region that holds the name. */
  public String holder() {
    return holder;
  }
}
