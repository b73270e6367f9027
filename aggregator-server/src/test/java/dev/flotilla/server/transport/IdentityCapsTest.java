package dev.flotilla.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.protocol.tls.TlsFiles;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityCapsTest {

  private static final String DOMAIN = "flotilla.test";

  @TempDir
  Path dir;

  private X509Certificate leaf(Path credentials) throws Exception {
    try (InputStream in = Files.newInputStream(TlsFiles.inDirectory(credentials).certificateChain())) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificates(in).iterator().next();
    }
  }

  @Test
  @DisplayName("a party is counted by its SPIFFE URI with the cap; a virtual-party host gets the cap per virtual party, "
      + "at most --virtual-parties-per-host of them")
  void partiesAndVirtualPartyHosts() throws Exception {
    JobPki pki = JobPki.create(dir, DOMAIN, "j");
    X509Certificate alice = leaf(pki.party("alice"));
    X509Certificate host = leaf(pki.issue(Identity.virtualPartyHost(DOMAIN, "j", "h", 5), "hosts/h"));
    assertThat(new IdentityCaps(4, 0, Set.of()).of(alice))
        .isEqualTo(new IdentityCaps.Cap("spiffe://flotilla.test/job/j/party/alice", 4));
    assertThat(new IdentityCaps(4, 10, Set.of()).of(host))
        .isEqualTo(new IdentityCaps.Cap("spiffe://flotilla.test/job/j/party/h/virtual/5", 20));
    assertThat(new IdentityCaps(4, 3, Set.of()).of(host).limit()).as("declares more than the server admits").isEqualTo(12);
    assertThat(new IdentityCaps(4, 0, Set.of()).of(host).limit()).as("no virtual parties admitted").isEqualTo(4);
    assertThat(new IdentityCaps(0, 10, Set.of()).of(alice)).as("no cap").isEqualTo(new IdentityCaps.Cap(null, 0));
  }

  @Test
  @DisplayName("a trusted proxy is not capped (its forwarded parties are, per call); an ingress it does not trust is")
  void trustedProxiesAreNotCapped() throws Exception {
    JobPki pki = JobPki.create(dir, DOMAIN, "j");
    X509Certificate nginx = leaf(pki.ingress("nginx"));
    assertThat(new IdentityCaps(4, 0, Set.of("nginx")).of(nginx)).isEqualTo(new IdentityCaps.Cap(null, 0));
    assertThat(new IdentityCaps(4, 0, Set.of("other")).of(nginx))
        .isEqualTo(new IdentityCaps.Cap("spiffe://flotilla.test/ingress/nginx", 4));
  }
}
