package dev.flotilla.certs;

import java.security.cert.X509Certificate;

/**
 * What issues leaf certificates. {@link CertificateAuthority} is the implementation; code that only
 * needs certificates (the controller's reconciler, for example) depends on this interface.
 */
public interface CertificateIssuer {
  /** Issues a leaf certificate with a fresh key for the request. */
  IssuedCertificate issue(LeafRequest request);

  /** The root certificate peers trust to verify what this issuer issues (ca.crt). */
  X509Certificate rootCertificate();
}
