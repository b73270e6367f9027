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
}
