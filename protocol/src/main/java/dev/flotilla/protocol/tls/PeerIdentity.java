package dev.flotilla.protocol.tls;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import io.grpc.Context;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * Who is on the other end of a mutual-TLS call: the {@link Identity} of its verified certificate
 * (exactly one SPIFFE URI SAN; never the CN, never a field in a message).
 */
public final class PeerIdentity {
  /** Set by {@link PeerIdentityInterceptor} for the duration of each call it admits. */
  public static final Context.Key<PeerIdentity> CONTEXT_KEY = Context.key("flotilla-peer-identity");

  private final Identity identity;
  private final X509Certificate certificate;

  private PeerIdentity(Identity identity, X509Certificate certificate) {
    this.identity = identity;
    this.certificate = certificate;
  }

  /** The identity of the peer of the current gRPC call; throws {@link IllegalStateException} outside an admitted call. */
  public static PeerIdentity current() {
    PeerIdentity identity = CONTEXT_KEY.get();
    if (identity == null) {
      throw new IllegalStateException("no peer identity in this gRPC context: is PeerIdentityInterceptor installed on the server?");
    }
    return identity;
  }

  /**
   * The identity a verified certificate carries.
   *
   * @throws PkiException naming why the certificate has no Flotilla identity (no URI SAN, several, malformed)
   */
  public static PeerIdentity of(X509Certificate certificate) {
    Objects.requireNonNull(certificate, "certificate");
    return new PeerIdentity(Identity.of(certificate), certificate);
  }

  /**
   * The virtual party {@code name} acting through its host's connection: a party identity of the host's job
   * and the host's certificate. Only {@link VirtualPartyRule} makes one, after checking that the host's
   * certificate covers the name.
   */
  static PeerIdentity virtualParty(PeerIdentity host, String name) {
    Identity h = host.identity;
    return new PeerIdentity(Identity.party(h.trustDomain(), h.job(), name), host.certificate);
  }

  public Identity identity() {
    return identity;
  }

  /** The holder's name: {@code alice} for {@code spiffe://example.org/job/mnist/party/alice}. */
  public String name() {
    return identity.name();
  }

  public Role role() {
    return identity.role();
  }

  /** The job of a server or party; null for an ingress or controller. */
  public String job() {
    return identity.job();
  }

  public String trustDomain() {
    return identity.trustDomain();
  }

  /** The identity URI SAN. */
  public String uri() {
    return identity.uri();
  }

  public boolean isParty() {
    return identity.role() == Role.PARTY;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  @Override
  public String toString() {
    return identity.uri();
  }
}
