package dev.flotilla.server.transport;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * How many connections one peer may hold on the gRPC port once its TLS handshake named it: the
 * identity of its verified certificate (its SPIFFE URI; a certificate without one counts by its
 * subject). A party of this job needs one connection, and a few more while a reconnect overlaps a
 * connection the network lost: it gets --max-connections-per-identity. A virtual-party host of this
 * job opens one per virtual party, so its cap is multiplied by its virtual parties, if this server
 * admits its host at all (declares at most --virtual-parties-per-host; else every call of it is
 * refused). Every other identity the CA vouches for (a party of another job or trust domain, a
 * host this server does not admit, a controller, an ingress it does not trust, a certificate
 * without a Flotilla identity) is no party of this job: at most {@value #NOT_A_PARTY} connections,
 * and the first whose connections {@link ConnectionGate} closes when the port is full. A trusted
 * proxy (a TLS-terminating ingress of this trust domain) is not capped here: it carries the calls
 * of many parties, one connection per call, and the forwarded party's calls are bounded per party
 * ({@link CallAdmission}, --max-calls-per-party); only the port's total bounds it.
 */
public final class IdentityCaps {

  /** Connections an identity that is no party of this job may hold (a controller reading the status needs one). */
  static final int NOT_A_PARTY = 2;
  /** A subject that long is no honest certificate's: cut, so a key cannot grow a log line or the map. */
  private static final int MAX_SUBJECT = 200;

  /**
   * The key a peer is counted by ({@code peer}, null: not counted), its cap ({@code limit}, 0: not
   * capped) and the parties of this job it stands for ({@code parties}: 1 for a party, its virtual
   * parties for a host, 0 for an identity that is no party of this job).
   */
  public record Cap(String peer, int limit, int parties) {
    public static final Cap NONE = new Cap(null, 0, 0);

    /** True for an identity that is no party of this job. */
    public boolean notAParty() {
      return parties == 0;
    }
  }

  private final Identity server;
  private final int perIdentity;
  private final int virtualPartiesPerHost;
  private final Set<String> trustedProxies;

  /**
   * @param server this aggregator's identity: its trust domain and job say who is a party of the job
   * @param perIdentity connections per party identity (--max-connections-per-identity; 0: no cap)
   * @param virtualPartiesPerHost --virtual-parties-per-host
   * @param trustedProxies names of the ingress identities trusted to forward client certificates
   */
  public IdentityCaps(Identity server, int perIdentity, int virtualPartiesPerHost, Set<String> trustedProxies) {
    if (perIdentity < 0) {
      throw new IllegalArgumentException("connections per identity must be >= 0, got " + perIdentity);
    }
    this.server = server;
    this.perIdentity = perIdentity;
    this.virtualPartiesPerHost = virtualPartiesPerHost;
    this.trustedProxies = Set.copyOf(trustedProxies);
  }

  /** No cap on anyone (the in-process server, and a gate told no identities). */
  public static IdentityCaps none() {
    return new IdentityCaps(null, 0, 0, Set.of());
  }

  /** The cap of the peer of a finished handshake. */
  public Cap of(SSLSession session) {
    return of(leafOf(session));
  }

  /** The cap of the peer whose verified leaf certificate is {@code leaf} (null: none). */
  Cap of(X509Certificate leaf) {
    if (leaf == null || perIdentity == 0 || server == null) {
      return Cap.NONE; // no certificate: the handshake of a client-auth port fails before this
    }
    Identity identity;
    try {
      identity = Identity.of(leaf);
    } catch (PkiException e) {
      String subject = leaf.getSubjectX500Principal().getName();
      return notAParty("certificate '" + (subject.length() > MAX_SUBJECT ? subject.substring(0, MAX_SUBJECT) + "..."
          : subject) + "'");
    }
    boolean ofThisDomain = identity.trustDomain().equals(server.trustDomain());
    if (identity.role() == Role.INGRESS && ofThisDomain && trustedProxies.contains(identity.name())) {
      return Cap.NONE;
    }
    if (identity.role() != Role.PARTY || !identity.sameJobAs(server)) {
      return notAParty(identity.uri());
    }
    if (!identity.isVirtualPartyHost()) {
      return new Cap(identity.uri(), perIdentity, 1);
    }
    int hosted = identity.virtualParties();
    if (virtualPartiesPerHost == 0 || hosted > virtualPartiesPerHost) {
      return notAParty(identity.uri()); // a host this server does not admit: each of its calls is refused
    }
    return new Cap(identity.uri(), (int) Math.min(Integer.MAX_VALUE, (long) perIdentity * hosted), hosted);
  }

  private Cap notAParty(String peer) {
    return new Cap(peer, Math.min(NOT_A_PARTY, perIdentity), 0);
  }

  private static X509Certificate leafOf(SSLSession session) {
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? x509 : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}
