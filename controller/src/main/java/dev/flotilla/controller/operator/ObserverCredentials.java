package dev.flotilla.controller.operator;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.controller.model.ProgressTarget;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import io.netty.handler.ssl.SslContext;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The controller's own identity towards aggregators, {@code spiffe://<domain>/controller/flotilla-controller}:
 * a clientAuth-only certificate issued by the CA of the job's namespace and domain (the CA the
 * aggregator trusts) and held in memory only, never in a Secret or a file. Reissued when that CA
 * changes or half its lifetime has passed.
 */
public final class ObserverCredentials {

  public static final String NAME = "flotilla-controller";
  static final Duration LIFETIME = Duration.ofDays(2);

  private record Held(String caVersion, IssuedCertificate leaf, List<java.security.cert.X509Certificate> cas) {}

  private final CertificateAuthorities authorities;
  private final Clock clock;
  private final Map<String, Held> held = new ConcurrentHashMap<>();

  public ObserverCredentials(CertificateAuthorities authorities, Clock clock) {
    this.authorities = authorities;
    this.clock = clock;
  }

  /** A TLS client context presenting the controller identity and accepting only the aggregator of the target's job. */
  public SslContext sslContext(ProgressTarget target) {
    CertificateAuthorities.LoadedCa ca = authorities.ensure(target.namespace(), target.domain());
    String key = ca.secretRef();
    Held h = held.compute(key, (k, old) -> old != null && old.caVersion().equals(ca.resourceVersion())
        && old.leaf().certificate().getNotAfter().toInstant().isAfter(clock.instant().plus(LIFETIME.dividedBy(2)))
        ? old
        : new Held(ca.resourceVersion(), ca.ca().issue(LeafRequest.builder(Identity.controller(target.domain(), NAME))
            .lifetime(LIFETIME).build()), List.of(ca.ca().certificate())));
    return MutualTlsChannels.sslContext(h.leaf().privateKey(), h.leaf().certificateChain(), h.cas(),
        ExpectedPeer.aggregatorOf(target.domain(), target.identityJob()));
  }
}
