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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityCapsTest {

  private static final String DOMAIN = "flotilla.test";
  private static final Identity SERVER = Identity.server(DOMAIN, "j", "j");

  @TempDir
  Path dir;

  private JobPki pki;

  @BeforeEach
  void pki() {
    pki = JobPki.create(dir, DOMAIN, "j");
  }

  private X509Certificate leaf(Path credentials) throws Exception {
    try (InputStream in = Files.newInputStream(TlsFiles.inDirectory(credentials).certificateChain())) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificates(in).iterator().next();
    }
  }

  private X509Certificate leaf(Identity identity) throws Exception {
    return leaf(pki.issue(identity, identity.uri().replaceAll("[^a-z0-9]+", "-")));
  }

  private static IdentityCaps caps(int perIdentity, int virtualPartiesPerHost, String... trustedProxies) {
    return new IdentityCaps(SERVER, perIdentity, virtualPartiesPerHost, Set.of(trustedProxies));
  }

  @Test
  @DisplayName("a party of the job is counted by its SPIFFE URI with the cap; a virtual-party host the server admits "
      + "gets the cap per virtual party and stands for them")
  void partiesAndVirtualPartyHostsOfTheJob() throws Exception {
    X509Certificate alice = leaf(pki.party("alice"));
    X509Certificate host = leaf(Identity.virtualPartyHost(DOMAIN, "j", "h", 5));
    assertThat(caps(4, 0).of(alice)).isEqualTo(new IdentityCaps.Cap("spiffe://flotilla.test/job/j/party/alice", 4, 1));
    assertThat(caps(4, 10).of(host))
        .isEqualTo(new IdentityCaps.Cap("spiffe://flotilla.test/job/j/party/h/virtual/5", 20, 5));
    assertThat(caps(0, 10).of(alice)).as("no cap").isEqualTo(IdentityCaps.Cap.NONE);
  }

  @Test
  @DisplayName("a virtual-party host the server does not admit (no hosts, or more virtual parties than it admits) is "
      + "no party of the job: the small cap, not multiplied")
  void hostsNotAdmittedAreNoParties() throws Exception {
    X509Certificate host = leaf(Identity.virtualPartyHost(DOMAIN, "j", "h", 5));
    IdentityCaps.Cap small = new IdentityCaps.Cap("spiffe://flotilla.test/job/j/party/h/virtual/5", IdentityCaps.NOT_A_PARTY, 0);
    assertThat(caps(4, 3).of(host)).as("declares more than the server admits").isEqualTo(small);
    assertThat(caps(4, 0).of(host)).as("no virtual parties admitted").isEqualTo(small);
  }

  @Test
  @DisplayName("every other identity of the CA (another job's party and host, another trust domain's, a controller, "
      + "an ingress not trusted) is no party of the job and gets the small cap")
  void othersGetTheSmallCap() throws Exception {
    for (Identity other : new Identity[] {Identity.party(DOMAIN, "other-job", "alice"),
        Identity.virtualPartyHost(DOMAIN, "other-job", "h", 100), Identity.party("elsewhere.test", "j", "alice"),
        Identity.controller(DOMAIN, "flotilla"), Identity.ingress(DOMAIN, "nginx")}) {
      assertThat(caps(8, 1000, "other-ingress").of(leaf(other))).as(other.uri())
          .isEqualTo(new IdentityCaps.Cap(other.uri(), IdentityCaps.NOT_A_PARTY, 0));
    }
    assertThat(caps(1, 1000).of(leaf(Identity.controller(DOMAIN, "flotilla"))).limit())
        .as("never more than a party's cap").isEqualTo(1);
  }

  @Test
  @DisplayName("a trusted proxy of the trust domain is not capped (its forwarded parties are, per call); the same name "
      + "of another trust domain is")
  void trustedProxiesAreNotCapped() throws Exception {
    X509Certificate nginx = leaf(pki.ingress("nginx"));
    assertThat(caps(4, 0, "nginx").of(nginx)).isEqualTo(IdentityCaps.Cap.NONE);
    X509Certificate foreignNginx = leaf(Identity.ingress("elsewhere.test", "nginx"));
    assertThat(caps(4, 0, "nginx").of(foreignNginx).notAParty()).isTrue();
  }
}
