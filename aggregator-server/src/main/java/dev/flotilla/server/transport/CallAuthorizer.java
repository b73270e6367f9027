package dev.flotilla.server.transport;

import io.grpc.StatusException;

/** Decides, from the caller's identity alone, whether a call may start (the coordinator knows the job's members). */
@FunctionalInterface
public interface CallAuthorizer {

  /**
   * @param party the caller's verified identity
   * @param join whether the call is Join (the one method a party without a slot may call)
   * @throws StatusException saying why the call may not start
   */
  void authorize(String party, boolean join) throws StatusException;
}
