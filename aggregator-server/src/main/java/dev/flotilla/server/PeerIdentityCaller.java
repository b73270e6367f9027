package dev.flotilla.server;

import dev.flotilla.protocol.tls.PeerIdentity;
import java.util.Optional;

/**
 * The caller is the party named in its verified client certificate, as put in the call's context
 * by {@link dev.flotilla.protocol.tls.PeerIdentityInterceptor}, which admits only parties of this
 * aggregator's trust domain and job.
 */
public final class PeerIdentityCaller implements CallerIdentity {

  @Override
  public Optional<String> current() {
    PeerIdentity identity = PeerIdentity.CONTEXT_KEY.get();
    if (identity == null || !identity.isParty()) {
      return Optional.empty();
    }
    return Optional.of(identity.name());
  }

  @Override
  public Optional<java.security.cert.X509Certificate> certificate() {
    PeerIdentity identity = PeerIdentity.CONTEXT_KEY.get();
    return identity == null || !identity.isParty() ? Optional.empty() : Optional.ofNullable(identity.certificate());
  }
}
