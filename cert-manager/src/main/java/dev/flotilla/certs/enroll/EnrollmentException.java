package dev.flotilla.certs.enroll;

import dev.flotilla.certs.PkiException;

/**
 * Enrollment or renewal did not give a certificate: the endpoint said no ({@link #status()} is its
 * HTTP status and the message its one-line reason), it could not be reached ({@link #UNREACHABLE}),
 * or its TLS identity did not fit ({@link #TLS}).
 */
public final class EnrollmentException extends PkiException {
  public static final int UNREACHABLE = -1;
  public static final int TLS = -2;

  private final int status;

  public EnrollmentException(int status, String message) {
    super(message);
    this.status = status;
  }

  public EnrollmentException(int status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
