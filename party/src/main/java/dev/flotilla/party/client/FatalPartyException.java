package dev.flotilla.party.client;

/**
 * An error that retrying cannot fix (bad certificate, refused by the server, data missing): the
 * party stops with {@link #exitCode()} and the message, which says what a person should do.
 */
public final class FatalPartyException extends RuntimeException {
  /** Bad input: missing or unreadable files, invalid flags, unusable data. */
  public static final int BAD_INPUT = 3;
  /** TLS: the handshake failed (certificate, key, CA or server name). */
  public static final int TLS_FAILURE = 4;
  /** The server refused the party: unknown identity, job finished, job full. */
  public static final int REFUSED = 5;
  /** The server stayed unreachable longer than the party is willing to wait. */
  public static final int UNREACHABLE = 6;

  private final int exitCode;

  public FatalPartyException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public FatalPartyException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
