package dev.flotilla.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Certificates;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
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
      JobPki.newAuthority("identity-fuzz-ca", Duration.ofDays(2));
  private static final Identity SERVER = Identity.server("example.org", "job1", "job1");
  private static final PeerIdentityInterceptor INTERCEPTOR =
      PeerIdentityInterceptor.partiesOf(SERVER, Set.of("ingress-nginx"), caFile());
  /** The trusted proxy's own certificate, through which forwarded headers reach the decision. */
  private static final X509Certificate INGRESS =
      CA.issue(LeafRequest.builder(Identity.ingress("example.org", "ingress-nginx")).build()).certificate();

  @FuzzTest
  @DisplayName("any certificate the JDK parses yields its one identity or a PkiException, and the interceptor's "
      + "decision on it never throws; an identity is the certificate's only URI SAN, parsed strictly")
  void identityOfCertificate(byte[] der) {
    X509Certificate certificate;
    try {
      certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException notACertificate) {
      return; // the TLS stack refuses it before any identity is looked for
    }
    PeerIdentity identity;
    try {
      identity = PeerIdentity.of(certificate);
    } catch (PkiException noIdentity) {
      assertThat(noIdentity.getMessage()).isNotBlank();
      identity = null;
    }
    if (identity != null) {
      checkIdentity(identity, certificate);
    }
    PeerIdentityInterceptor.Decision decision = INTERCEPTOR.decide(Optional.of(certificate), null);
    if (decision.caller() != null) {
      assertThat(decision.caller().role()).isEqualTo(Role.PARTY);
      assertThat(decision.caller().identity().sameJobAs(SERVER)).isTrue();
    } else {
      assertThat(decision.refusal().getDescription()).isNotBlank();
    }
  }

  @FuzzTest
  @DisplayName("any ssl-client-cert header from the trusted ingress yields a verified party of the job or a refusal "
      + "(GeneralSecurityException, IOException, IllegalArgumentException, PkiException); the decision never throws")
  void forwardedCertificateHeader(byte[] header) {
    // gRPC hands an ASCII header value over as a String, one char per byte
    String value = new String(header, StandardCharsets.US_ASCII);
    try {
      PeerIdentity identity = INTERCEPTOR.verifiedForwarded(value);
      try {
        identity.certificate().verify(CA.certificate().getPublicKey());
      } catch (GeneralSecurityException e) {
        throw new AssertionError("a forwarded certificate not signed by the CA was accepted: " + identity, e);
      }
      checkIdentity(identity, identity.certificate());
    } catch (GeneralSecurityException | IOException | IllegalArgumentException | PkiException refused) {
      assertThat(refused.getMessage()).isNotNull();
    }
    PeerIdentityInterceptor.Decision decision = INTERCEPTOR.decide(Optional.of(INGRESS), value);
    assertThat(decision.caller() != null || decision.refusal() != null).isTrue();
  }

  private static void checkIdentity(PeerIdentity id, X509Certificate certificate) {
    assertThat(id.certificate()).isSameAs(certificate);
    assertThat(Certificates.uris(certificate)).containsExactly(id.uri());
    assertThat(Identity.parse(id.uri())).isEqualTo(id.identity());
    assertThat(id.name()).isNotBlank().doesNotContain("/").doesNotContain("%");
    assertThat(id.toString()).isNotBlank();
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
