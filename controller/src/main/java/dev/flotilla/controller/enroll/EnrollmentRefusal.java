package dev.flotilla.controller.enroll;

/** An enrollment or renewal the coordinator refuses: the HTTP status it answers and a one-line reason for the party. */
public final class EnrollmentRefusal extends RuntimeException {
  public static final int BAD_REQUEST = 400;
  public static final int UNAUTHENTICATED = 401;
  public static final int FORBIDDEN = 403;
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
