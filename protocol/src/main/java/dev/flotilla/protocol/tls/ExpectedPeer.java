package dev.flotilla.protocol.tls;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * The identity a TLS client accepts from the server it connects to, checked in the handshake
 * (after the chain, validity, usage and host name checks): a party talks only to the aggregator
 * of its own trust domain and job, so a certificate of any other holder of the CA — a party, a
 * server of another job — cannot pose as its aggregator.
 */
public final class ExpectedPeer {
  private final Role role;
  private final Identity self;
  /** The peer's identity name, or null for any holder of the role in the job. */
  private final String name;

  private ExpectedPeer(Role role, Identity self, String name) {
    this.role = role;
    this.self = Objects.requireNonNull(self, "self");
    this.name = name;
    if (!self.role().jobBound()) {
      throw new IllegalArgumentException(self + " belongs to no job: it has no aggregator or peers to expect");
    }
  }

  /** The aggregator of {@code self}'s job: role server, same trust domain and job. */
  public static ExpectedPeer aggregatorOf(Identity self) {
    return new ExpectedPeer(Role.SERVER, self, null);
  }

  /**
   * The aggregator of job {@code job} in {@code trustDomain}, for a client that belongs to no job
   * (the controller reading an aggregator's progress).
   */
  public static ExpectedPeer aggregatorOf(String trustDomain, String job) {
    // a stand-in identity of the job only carries the trust domain and job to compare with; nothing presents it
    return new ExpectedPeer(Role.SERVER, Identity.server(trustDomain, job, job), null);
  }

  /** The same, and only the holder named {@code name} (the last segment of its identity URI). */
  public ExpectedPeer named(String name) {
    return new ExpectedPeer(role, self, Objects.requireNonNull(name, "name"));
  }

  /** Another party of {@code self}'s job (the party-to-party channel). */
  public static ExpectedPeer peerOf(Identity self) {
    return new ExpectedPeer(Role.PARTY, self, null);
  }

  /**
   * @throws CertificateException naming what the peer presented and what was expected
   */
  void check(X509Certificate leaf) throws CertificateException {
    Identity peer;
    try {
      peer = Identity.of(leaf);
    } catch (PkiException e) {
      throw new CertificateException(refusal("a certificate without a Flotilla identity (" + e.getMessage() + ")"));
    }
    if (peer.role() != role || !peer.sameJobAs(self)) {
      throw new CertificateException(refusal(peer.uri() + (peer.role() != role
          ? ", a " + peer.role().pathSegment() + " identity"
          : ", of job " + peer.job() + " in " + peer.trustDomain())));
    }
    if (name != null && !name.equals(peer.name())) {
      throw new CertificateException(refusal(peer.uri() + ", named " + peer.name()));
    }
  }

  private String refusal(String presented) {
    return "the peer presented " + presented + "; expected " + (role == Role.SERVER ? "the aggregator" : "a party")
        + " of job " + self.job() + " in " + self.trustDomain() + " (spiffe://" + self.trustDomain() + "/job/"
        + self.job() + "/" + role.pathSegment() + "/" + (name == null ? "..." : name) + ")";
  }

  @Override
  public String toString() {
    return (role == Role.SERVER ? "the aggregator" : "a party") + " of job " + self.job() + " in " + self.trustDomain();
  }
}
