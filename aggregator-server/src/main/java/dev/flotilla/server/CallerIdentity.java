package dev.flotilla.server;

import java.util.Optional;

/**
 * The verified identity of the party making the current gRPC call. In production it is the one in
 * the client certificate (mutual TLS, via the protocol module's PeerIdentityInterceptor); never a
 * field of a message.
 */
@FunctionalInterface
public interface CallerIdentity {

  /** The caller's party name, or empty when the call carries no verified identity. */
  Optional<String> current();

  /**
   * The certificate the caller's connection presented (a virtual party's: its host's), or empty when the call
   * has none (in-process parties of the simulator).
   */
  default Optional<java.security.cert.X509Certificate> certificate() {
    return Optional.empty();
  }
}
