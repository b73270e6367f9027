package dev.flotilla.certs;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

/** SHA-256 fingerprints of certificates, in the colon-separated upper-case form openssl prints. */
public final class Fingerprints {
  private Fingerprints() {}

  /** E.g. {@code 3A:F1:...} (32 bytes), equal to {@code openssl x509 -noout -fingerprint -sha256}. */
  public static String sha256(X509Certificate certificate) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot fingerprint certificate", e);
    }
  }

  /** Lower-case hex without separators, fit for labels and file names. */
  public static String sha256Hex(X509Certificate certificate) {
    return sha256(certificate).replace(":", "").toLowerCase(Locale.ROOT);
  }
}
