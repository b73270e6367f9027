package dev.flotilla.protocol.tls;

import dev.flotilla.certs.Pem;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Verifies a client certificate that did not arrive in a TLS handshake (forwarded by an ingress, or carried
 * in a message): it chains to a CA of the trusted CA file (re-read each time, so a rotated bundle is
 * picked up), is valid now and allows clientAuth. The one way outside the TLS stack.
 */
public final class TrustedChains {
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private TrustedChains() {
  }

  /**
   * The identity of {@code chain}'s leaf (leaf first; a trailing CA certificate of the trust file is allowed).
   *
   * @throws GeneralSecurityException saying which certificate failed and why
   */
  public static PeerIdentity verifiedClient(List<X509Certificate> chain, Path trustedCa)
      throws GeneralSecurityException {
    return verifiedClient(chain, Pem.readCertificates(trustedCa), trustedCa.toString());
  }

  /**
   * As {@link #verifiedClient(List, Path)} against the CA certificates {@code cas}, read by the caller from
   * {@code source} (named in errors): a caller checking many chains at once reads its trust file once.
   */
  public static PeerIdentity verifiedClient(List<X509Certificate> chain, List<X509Certificate> cas, String source)
      throws GeneralSecurityException {
    return verifiedClient(chain, cas, source, new Date());
  }

  /** As {@link #verifiedClient(List, List, String)}, with every certificate of the path valid at {@code validAt}. */
  public static PeerIdentity verifiedClient(List<X509Certificate> chain, List<X509Certificate> cas, String source,
      Date validAt) throws GeneralSecurityException {
    if (chain.isEmpty()) {
      throw new GeneralSecurityException("no certificate");
    }
    X509Certificate leaf = chain.get(0);
    Set<TrustAnchor> anchors = new HashSet<>();
    for (X509Certificate ca : cas) {
      anchors.add(new TrustAnchor(ca, null));
    }
    List<X509Certificate> path = new ArrayList<>();
    for (X509Certificate certificate : chain) {
      if (!cas.contains(certificate)) {
        path.add(certificate);
      }
    }
    PKIXParameters parameters = new PKIXParameters(anchors);
    parameters.setRevocationEnabled(false);
    parameters.setDate(validAt);
    try {
      CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path),
          parameters);
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException("'" + leaf.getSubjectX500Principal().getName()
          + "' does not chain to a trusted CA in " + source + " or is not valid now (" + e.getMessage() + ")", e);
    }
    List<String> usages = leaf.getExtendedKeyUsage();
    if (usages != null && !usages.contains(CLIENT_AUTH)) {
      throw new GeneralSecurityException("'" + leaf.getSubjectX500Principal().getName() + "' is not a client certificate");
    }
    return PeerIdentity.of(leaf);
  }
}
