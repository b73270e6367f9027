package dev.flotilla.controller.enroll;

/** An enrollment or renewal the coordinator refuses: the HTTP status it answers and a one-line reason for the party. */
public final class EnrollmentRefusal extends RuntimeException {
  public static final int BAD_REQUEST = 400;
  /**
   * A token that is unknown, wrong, expired or used up, or no client certificate for renewal: 403, not
   * 401, since 401 asks for an HTTP authentication scheme (and JDK clients then hide the answer's body).
   */
  public static final int UNAUTHENTICATED = 403;
  public static final int FORBIDDEN = 403;
  public static final int NOT_FOUND = 404;
  /** A renewal of a certificate that was renewed already, where only one renewal is allowed. */
  public static final int CONFLICT = 409;
  public static final int TOO_LARGE = 413;
  public static final int TOO_MANY = 429;

  private final int status;

  public EnrollmentRefusal(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
