package dev.flotilla.protocol.tls;

import static dev.flotilla.protocol.tls.TlsFixtures.DOMAIN;
import static dev.flotilla.protocol.tls.TlsFixtures.JOB;
import static dev.flotilla.protocol.tls.TlsFixtures.SERVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.Role;
import dev.flotilla.testing.RogueCertificates;
import io.grpc.Status;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the aggregator's interceptor admits, decided from the verified certificate alone (no network). */
class PeerIdentityTest {
  private static final CertificateAuthority CA =
      JobPki.newAuthority("Identity CA", Duration.ofDays(1));
  @TempDir static Path tmp;
  private static int rogues;

  private static PeerIdentityInterceptor interceptor;

  @BeforeAll
  static void interceptor() {
    TlsFixtures.write(TlsFixtures.serverCertificate(CA), tmp.resolve("server"));
    interceptor = PeerIdentityInterceptor.partiesOf(SERVER, Set.of("ingress-nginx"), tmp.resolve("server/ca.crt"));
  }

  private static X509Certificate issued(Identity identity) {
    return CA.issue(LeafRequest.builder(identity).build()).certificate();
  }

  private static X509Certificate rogue(String cn, String... sans) {
    int n = rogues++;
    CA.writeTo(tmp.resolve("ca-" + n));
    Path out = RogueCertificates.issue(tmp.resolve("ca-" + n), tmp.resolve("rogue-" + n), cn, sans);
    try {
      return Pem.readCertificates(out.resolve("tls.crt")).get(0);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static PeerIdentityInterceptor.Decision decide(X509Certificate direct) {
    return interceptor.decide(Optional.of(direct), null);
  }

  private static void assertRefused(PeerIdentityInterceptor.Decision d, Status.Code code, String... fragments) {
    assertThat(d.caller()).as("admitted caller").isNull();
    assertThat(d.refusal().getCode()).isEqualTo(code);
    assertThat(d.refusal().getDescription()).contains(fragments);
  }

  @Test
  @DisplayName("a party of the aggregator's trust domain and job is admitted under its identity")
  void partyOfTheJob() {
    PeerIdentityInterceptor.Decision d = decide(issued(Identity.party(DOMAIN, JOB, "alice")));
    assertThat(d.refusal()).isNull();
    assertThat(d.caller().name()).isEqualTo("alice");
    assertThat(d.caller().role()).isEqualTo(Role.PARTY);
    assertThat(d.caller().uri()).isEqualTo("spiffe://example.org/job/job1/party/alice");
  }

  @Nested
  @DisplayName("refused, naming what the peer presented")
  class Refused {
    @Test
    @DisplayName("a party 'alice' of another job, of the same CA, does not pass as this job's 'alice'")
    void partyOfAnotherJob() {
      assertRefused(decide(issued(Identity.party(DOMAIN, "job2", "alice"))), Status.Code.PERMISSION_DENIED,
          "spiffe://example.org/job/job2/party/alice", "is a party of job job2", "not of job job1");
    }

    @Test
    @DisplayName("a party of another trust domain, of the same CA")
    void otherTrustDomain() {
      assertRefused(decide(issued(Identity.party("other.org", JOB, "alice"))), Status.Code.PERMISSION_DENIED,
          "is of trust domain other.org", "accepts only parties of example.org");
    }

    @Test
    @DisplayName("a server, a controller and an untrusted ingress are no parties")
    void otherRoles() {
      assertRefused(decide(issued(Identity.server(DOMAIN, JOB, "other"))), Status.Code.PERMISSION_DENIED,
          "is a server identity; only parties of job job1 call this aggregator");
      assertRefused(decide(issued(Identity.controller(DOMAIN, "flotilla"))), Status.Code.PERMISSION_DENIED,
          "is a controller identity");
      assertRefused(decide(issued(Identity.ingress(DOMAIN, "someone"))), Status.Code.PERMISSION_DENIED,
          "ingress spiffe://example.org/ingress/someone is not a trusted proxy");
    }

    @Test
    @DisplayName("a certificate with only a CN (no URI SAN) has no identity: the CN is never used")
    void commonNameOnly() {
      assertRefused(decide(rogue("alice", "DNS:alice.party.example.org")), Status.Code.UNAUTHENTICATED,
          "carries no Flotilla identity", "0 URI SANs");
    }

    @Test
    @DisplayName("several URI SANs give no identity, even when the first would be admitted")
    void severalUris() {
      assertRefused(decide(rogue("alice", "URI:spiffe://example.org/job/job1/party/alice",
          "URI:spiffe://example.org/job/job1/server/job1")), Status.Code.UNAUTHENTICATED, "2 URI SANs");
    }

    @Test
    @DisplayName("the old identity shape without a job (spiffe://<domain>/party/<name>) is refused")
    void oldShape() {
      assertRefused(decide(rogue("alice", "URI:spiffe://example.org/party/alice")), Status.Code.UNAUTHENTICATED,
          "a party identity must name its job");
    }

    @Test
    @DisplayName("no certificate at all")
    void noCertificate() {
      assertRefused(interceptor.decide(Optional.empty(), null), Status.Code.UNAUTHENTICATED, "no verified client certificate");
      assertThat(PeerIdentityInterceptor.leafOf(null)).isEmpty();
    }
  }

  @Test
  @DisplayName("current() outside an admitted call says the interceptor is missing")
  void currentOutsideCall() {
    assertThatThrownBy(PeerIdentity::current).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("PeerIdentityInterceptor");
  }

  @Test
  @DisplayName("the interceptor only guards a server identity")
  void guardsServersOnly() {
    assertThatThrownBy(() -> PeerIdentityInterceptor.partiesOf(Identity.party(DOMAIN, JOB, "a")))
        .hasMessageContaining("is no server identity");
  }
}
