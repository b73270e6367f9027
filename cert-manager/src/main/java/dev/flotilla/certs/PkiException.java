package dev.flotilla.certs;

/**
 * A request the PKI refuses or input it cannot use (corrupt PEM, SAN outside policy, expired CA...).
 * The message is one line that names the problem, fit to show a person as is.
 */
public class PkiException extends RuntimeException {
  public PkiException(String message) {
    super(message);
  }

  public PkiException(String message, Throwable cause) {
    super(message, cause);
  }
}
