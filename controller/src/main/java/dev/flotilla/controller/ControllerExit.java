package dev.flotilla.controller;

/**
 * Why the controller will not run, as one line for stderr and the exit code that tells a script or
 * an init system what kind of problem it is (the README lists them).
 */
public final class ControllerExit extends RuntimeException {

  /** The command line is wrong (picocli's usage errors). */
  public static final int USAGE = 2;
  /** The API server cannot be reached, or refuses the controller's credentials. */
  public static final int API_UNREACHABLE = 3;
  /** The API server does not serve IflearnerJobs (git.iflytek.com/v1): the CRD is not installed. */
  public static final int CRD_MISSING = 4;
  /** The controller's identity may not list IflearnerJobs in a namespace it is told to watch. */
  public static final int FORBIDDEN = 5;

  private final int code;

  public ControllerExit(int code, String message) {
    super(message);
    this.code = code;
  }

  public int code() {
    return code;
  }
}
