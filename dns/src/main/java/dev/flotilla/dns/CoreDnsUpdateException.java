package dev.flotilla.dns;

import java.util.Objects;

/** The CoreDNS ConfigMap could not be read or written; {@link #reason()} says why, for status conditions. */
public class CoreDnsUpdateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the update failed. */
  public enum Reason {
    /** The ConfigMap does not exist. */
    CONFIGMAP_NOT_FOUND,
    /** The ConfigMap has no data key holding the Corefile. */
    KEY_NOT_FOUND,
    /** Every attempt collided with a concurrent writer. */
    CONFLICTS_EXHAUSTED,
    /** The API server refused the request or could not be reached. */
    API_ERROR,
    /** The thread was interrupted while backing off. */
    INTERRUPTED
  }

  private final Reason reason;

  public CoreDnsUpdateException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason);
  }

  public CoreDnsUpdateException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason);
  }

  public Reason reason() {
    return reason;
  }
}
