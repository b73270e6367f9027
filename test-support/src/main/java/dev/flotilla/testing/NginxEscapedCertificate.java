package dev.flotilla.testing;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;

/** What ingress-nginx's {@code $ssl_client_escaped_cert} holds (the {@code ssl-client-cert} header): the PEM, %-escaped. */
public final class NginxEscapedCertificate {
  private NginxEscapedCertificate() {}

  public static String of(X509Certificate certificate) {
    try {
      return ofPem("-----BEGIN CERTIFICATE-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded())
          + "\n-----END CERTIFICATE-----\n");
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every byte but letters, digits, '-', '.' and '_' as %XX. */
  public static String ofPem(String pem) {
    StringBuilder out = new StringBuilder();
    for (byte b : pem.getBytes(StandardCharsets.US_ASCII)) {
      char c = (char) b;
      out.append(Character.isLetterOrDigit(c) || c == '-' || c == '.' || c == '_' ? String.valueOf(c)
          : String.format("%%%02X", b));
    }
    return out.toString();
  }
}
