package dev.flotilla.server.round;

/**
 * What happens when the round loop dies of an unexpected Throwable (an Error, a bug): the server
 * must not linger half-alive with its gRPC port open. The coordinator logs the job and the cause
 * before calling the handler; tests inject a recording handler instead of ending the JVM.
 */
@FunctionalInterface
public interface FatalErrorHandler {

  /** Exit status of a server whose round loop died (EX_SOFTWARE). */
  int EXIT_STATUS = 70;

  /** Called once, on the coordinator's thread, after the failure was logged. */
  void onFatal(String jobId, Throwable cause);

  /** Leaves the failure to the caller of {@link RoundCoordinator#run()} (which sees it rethrown). */
  static FatalErrorHandler rethrow() {
    return (jobId, cause) -> {};
  }

  /** Ends the process with {@link #EXIT_STATUS}; shutdown hooks (server stop) still run. */
  static FatalErrorHandler exitProcess() {
    return (jobId, cause) -> Runtime.getRuntime().exit(EXIT_STATUS);
  }
}
