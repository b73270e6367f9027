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
 * subject). A party needs one connection, and a few more while a reconnect overlaps a connection
 * the network lost; a virtual-party host opens one per virtual party, so its cap is multiplied by
 * its virtual parties (at most --virtual-parties-per-host: a larger count is refused per call
 * anyway). A trusted proxy (a TLS-terminating ingress) is not capped here: it carries the calls of
 * many parties, one connection per call, and the forwarded party's calls are bounded per party
 * ({@link CallAdmission}, --max-calls-per-party); only the port's total bounds it.
 */
public final class IdentityCaps {

  /** A subject that long is no honest certificate's: cut, so a key cannot grow a log line or the map. */
  private static final int MAX_SUBJECT = 200;

  /** The key a peer is counted by, and its cap (0: not capped). */
  public record Cap(String peer, int limit) {}

  private final int perIdentity;
  private final int virtualPartiesPerHost;
  private final Set<String> trustedProxies;

  /**
   * @param perIdentity connections per identity (--max-connections-per-identity; 0: no cap)
   * @param virtualPartiesPerHost --virtual-parties-per-host
   * @param trustedProxies names of the ingress identities trusted to forward client certificates
   */
  public IdentityCaps(int perIdentity, int virtualPartiesPerHost, Set<String> trustedProxies) {
    if (perIdentity < 0) {
      throw new IllegalArgumentException("connections per identity must be >= 0, got " + perIdentity);
    }
    this.perIdentity = perIdentity;
    this.virtualPartiesPerHost = virtualPartiesPerHost;
    this.trustedProxies = Set.copyOf(trustedProxies);
  }

  /** The cap of the peer of a finished handshake. */
  public Cap of(SSLSession session) {
    return of(leafOf(session));
  }

  /** The cap of the peer whose verified leaf certificate is {@code leaf} (null: none). */
  Cap of(X509Certificate leaf) {
    if (leaf == null || perIdentity == 0) {
      return new Cap(null, 0); // no certificate: the handshake of a client-auth port fails before this
    }
    Identity identity;
    try {
      identity = Identity.of(leaf);
    } catch (PkiException e) {
      String subject = leaf.getSubjectX500Principal().getName();
      return new Cap("certificate '" + (subject.length() > MAX_SUBJECT ? subject.substring(0, MAX_SUBJECT) + "..."
          : subject) + "'", perIdentity);
    }
    if (identity.role() == Role.INGRESS && trustedProxies.contains(identity.name())) {
      return new Cap(null, 0);
    }
    int hosted = Math.min(identity.virtualParties(), virtualPartiesPerHost);
    return new Cap(identity.uri(), perIdentity * Math.max(1, hosted));
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
