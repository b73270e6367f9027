package dev.flotilla.dns;

import java.util.Objects;

/** What {@link HostPolicy#check} decided about a host: accepted, with its parts, or refused, with why. */
public sealed interface HostVerdict {

  /** Why a host was refused. */
  enum Reason {
    /** Not a valid DNS name (empty, bad label, too long, a wildcard, an IP literal). */
    INVALID,
    /** Under the cluster domain, or a special-use name (localhost, .arpa, .local, single-label...). */
    RESERVED,
    /** Not the shape of the asked role, or a job or party label that is reserved. */
    ROLE_MISFIT,
    /** The federation domain is not on the controller's allow-list. */
    DOMAIN_NOT_ALLOWED
  }

  boolean accepted();

  /** The host may be used for its role. */
  record Accepted(FederationHost host) implements HostVerdict {
    public Accepted {
      Objects.requireNonNull(host, "host");
    }

    @Override
    public boolean accepted() {
      return true;
    }
  }

  /** The host may not be used; {@code message} names the host and the rule it breaks. */
  record Refused(Reason reason, String message) implements HostVerdict {
    public Refused {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }

    @Override
    public boolean accepted() {
      return false;
    }
  }
}
