package dev.flotilla.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FederationPkiTest {

  private static final int DNS = 2;
  private static final int URI = 6;
  private static final int IP = 7;

  @Test
  @DisplayName("the server certificate names only <job>.server.flotilla.local (no loopback names or addresses), for serverAuth, signed by the CA")
  void serverCertificate(@TempDir Path dir) throws Exception {
    FederationPki pki = FederationPki.create(dir, "job1");

    X509Certificate server = certificates(pki.server().certificate()).get(0);
    X509Certificate ca = certificates(pki.caCertificate()).get(0);

    assertThat(pki.serverName()).isEqualTo("job1.server.flotilla.local");
    assertThat(sans(server, DNS)).containsExactly("job1.server.flotilla.local");
    assertThat(sans(server, IP)).isEmpty();
    assertThat(sans(server, URI)).containsExactly("spiffe://flotilla.local/job/job1/server/job1");
    assertThat(server.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1");
    server.verify(ca.getPublicKey());
    assertThat(certificates(pki.server().trustedCa()).get(0)).isEqualTo(ca);
    assertThat(Files.getPosixFilePermissions(pki.server().privateKey()))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  }

  @Test
  @DisplayName("each party gets its own certificate whose URI SAN is spiffe://flotilla.local/job/<job>/party/party-N, for clientAuth")
  void partyCertificates(@TempDir Path dir) throws Exception {
    FederationPki pki = FederationPki.create(dir, "job1");
    X509Certificate ca = certificates(pki.caCertificate()).get(0);

    TlsPaths first = pki.party(FederationPki.partyName(0));
    TlsPaths second = pki.party(FederationPki.partyName(1));

    X509Certificate one = certificates(first.certificate()).get(0);
    X509Certificate two = certificates(second.certificate()).get(0);
    assertThat(sans(one, URI)).containsExactly("spiffe://flotilla.local/job/job1/party/party-1");
    assertThat(sans(two, URI)).containsExactly("spiffe://flotilla.local/job/job1/party/party-2");
    assertThat(one.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.2");
    assertThat(one.getPublicKey()).isNotEqualTo(two.getPublicKey());
    one.verify(ca.getPublicKey());
    two.verify(ca.getPublicKey());
    assertThat(pki.party("party-1")).isEqualTo(first);
    assertThat(certificates(pki.party("party-1").certificate()).get(0)).isEqualTo(one);
  }

  private static List<X509Certificate> certificates(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
          .map(X509Certificate.class::cast)
          .toList();
    }
  }

  private static Set<String> sans(X509Certificate certificate, int type) throws Exception {
    if (certificate.getSubjectAlternativeNames() == null) {
      return Set.of();
    }
    return certificate.getSubjectAlternativeNames().stream()
        .filter(san -> (Integer) san.get(0) == type)
        .map(san -> san.get(1).toString())
        .collect(Collectors.toSet());
  }
}
