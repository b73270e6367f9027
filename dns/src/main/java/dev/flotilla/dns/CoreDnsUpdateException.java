package dev.flotilla.dns;

/** The CoreDNS ConfigMap could not be read or written (missing, no Corefile key, conflicts without end). */
public class CoreDnsUpdateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CoreDnsUpdateException(String message) {
    super(message);
  }

  public CoreDnsUpdateException(String message, Throwable cause) {
    super(message, cause);
  }
}
