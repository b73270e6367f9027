package dev.flotilla.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.Pem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;

/**
 * Fuzz harnesses of the certificate-to-identity path: {@link PeerIdentity#of} on any certificate the
 * JDK parses (what a TLS handshake hands over), and the forwarded-certificate header a trusted
 * proxy sends ({@code ssl-client-cert}, URL-escaped PEM) through
 * {@link PeerIdentityInterceptor#verifiedForwarded}. Inputs under
 * {@code CertificateIdentityFuzzTestInputs/} (certificates only) are replayed by every
 * {@code mvn verify}; {@code bench/fuzz.sh} fuzzes; {@link CertificateIdentitySeeds} writes the seeds.
 */
class CertificateIdentityFuzzTest {

  private static final CertificateAuthority CA =
      CertificateAuthority.createRoot("identity-fuzz-ca", Duration.ofDays(2), KeyType.EC_P256);
  private static final PeerIdentityInterceptor INTERCEPTOR =
      new PeerIdentityInterceptor(Set.of("ingress-nginx"), caFile());

  @FuzzTest
  @DisplayName("any certificate the JDK parses yields an identity or none, never an exception; an identity from a URI "
      + "is one of the certificate's spiffe URI SANs and its name is the URI's last segment")
  void identityOfCertificate(byte[] der) {
    X509Certificate certificate;
    try {
      certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException notACertificate) {
      return; // the TLS stack refuses it before any identity is looked for
    }
    Optional<PeerIdentity> identity = PeerIdentity.of(certificate);
    identity.ifPresent(id -> checkIdentity(id, certificate));
  }

  @FuzzTest
  @DisplayName("any ssl-client-cert header from a trusted proxy yields a verified identity of the CA or a refusal "
      + "the interceptor turns into UNAUTHENTICATED (GeneralSecurityException, IOException, IllegalArgumentException)")
  void forwardedCertificateHeader(byte[] header) {
    // gRPC hands an ASCII header value over as a String, one char per byte
    String value = new String(header, StandardCharsets.US_ASCII);
    PeerIdentity identity;
    try {
      identity = INTERCEPTOR.verifiedForwarded(value);
    } catch (GeneralSecurityException | IOException | IllegalArgumentException refused) {
      return;
    }
    try {
      identity.certificate().verify(CA.certificate().getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new AssertionError("a forwarded certificate not signed by the CA was accepted: " + identity, e);
    }
    checkIdentity(identity, identity.certificate());
  }

  private static void checkIdentity(PeerIdentity id, X509Certificate certificate) {
    assertThat(id.name()).isNotBlank();
    assertThat(id.certificate()).isSameAs(certificate);
    assertThat(id.toString()).isNotBlank();
    if (id.uri() != null) {
      assertThat(uris(certificate)).contains(id.uri());
      assertThat(id.uri()).startsWith("spiffe:");
      assertThat(id.uri()).contains("/" + id.role() + "/" + id.name());
      assertThat(id.name()).doesNotContain("/");
    }
  }

  private static List<String> uris(X509Certificate certificate) {
    List<String> out = new ArrayList<>();
    try {
      var sans = certificate.getSubjectAlternativeNames();
      if (sans != null) {
        sans.stream().filter(s -> ((Integer) s.get(0)) == 6).forEach(s -> out.add(String.valueOf(s.get(1))));
      }
    } catch (java.security.cert.CertificateParsingException e) {
      // no SANs readable
    }
    return out;
  }

  private static Path caFile() {
    try {
      Path file = Files.createTempFile("identity-fuzz-ca", ".crt");
      file.toFile().deleteOnExit();
      Files.writeString(file, Pem.encode(CA.certificate()));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
