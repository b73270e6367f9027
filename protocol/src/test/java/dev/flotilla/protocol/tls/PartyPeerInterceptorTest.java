package dev.flotilla.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PartyPeerInterceptorTest {
  private static final Identity ALICE = Identity.party("example.org", "job1", "alice");
  private static final PartyPeerInterceptor INTERCEPTOR = PartyPeerInterceptor.peersOf(ALICE);
  private static CertificateAuthority ca;

  @BeforeAll
  static void createCa() {
    ca = JobPki.newAuthority("Flotilla Test CA", Duration.ofDays(1));
  }

  private static X509Certificate issued(Identity identity) {
    return ca.issue(LeafRequest.builder(identity).build()).certificate();
  }

  private static PeerIdentityInterceptor.Decision decide(Identity caller) {
    return INTERCEPTOR.decide(Optional.of(issued(caller)), false);
  }

  @Test
  @DisplayName("another party of the same job and trust domain is admitted, as the identity of its certificate")
  void sameJobPartyAdmitted() {
    PeerIdentityInterceptor.Decision d = decide(Identity.party("example.org", "job1", "bob"));
    assertThat(d.refusal()).isNull();
    assertThat(d.caller().uri()).isEqualTo("spiffe://example.org/job/job1/party/bob");
  }

  @Test
  @DisplayName("a party of another job is refused with PERMISSION_DENIED naming its job")
  void otherJobRefused() {
    PeerIdentityInterceptor.Decision d = decide(Identity.party("example.org", "job2", "bob"));
    assertThat(d.refusal().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(d.refusal().getDescription()).isEqualTo("peer spiffe://example.org/job/job2/party/bob is a party of job "
        + "job2 in example.org; the peer endpoint of party alice admits only other parties of job job1 in example.org, "
        + "connected directly");
  }

  @Test
  @DisplayName("a party of the same job name in another trust domain is refused")
  void otherDomainRefused() {
    PeerIdentityInterceptor.Decision d = decide(Identity.party("example.com", "job1", "bob"));
    assertThat(d.refusal().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(d.refusal().getDescription()).startsWith("peer spiffe://example.com/job/job1/party/bob is a party of job "
        + "job1 in example.com;");
  }

  @Test
  @DisplayName("the job's aggregator, an ingress and a controller are refused: only parties call a peer endpoint")
  void otherRolesRefused() {
    assertThat(decide(Identity.server("example.org", "job1", "job1")).refusal().getDescription())
        .startsWith("peer spiffe://example.org/job/job1/server/job1 is a server identity;");
    assertThat(decide(Identity.ingress("example.org", "ingress-nginx")).refusal().getDescription())
        .startsWith("peer spiffe://example.org/ingress/ingress-nginx is an ingress identity;");
    assertThat(decide(Identity.controller("example.org", "flotilla-controller")).refusal().getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  @DisplayName("the serving party's own identity is refused (no party talks to itself through the channel)")
  void ownIdentityRefused() {
    assertThat(decide(ALICE).refusal().getDescription())
        .startsWith("peer spiffe://example.org/job/job1/party/alice presented this party's own identity;");
  }

  @Test
  @DisplayName("a forwarded client certificate is refused even from a party of the job: peers connect directly")
  void forwardedRefused() {
    PeerIdentityInterceptor.Decision d = INTERCEPTOR.decide(
        Optional.of(issued(Identity.party("example.org", "job1", "bob"))), true);
    assertThat(d.refusal().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(d.refusal().getDescription()).contains("sent a forwarded client certificate (ssl-client-cert header)");
  }

  @Test
  @DisplayName("no verified certificate, or one without a Flotilla identity: UNAUTHENTICATED")
  void noIdentity() {
    assertThat(INTERCEPTOR.decide(Optional.empty(), false).refusal().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  @DisplayName("only a party identity may guard a peer endpoint")
  void guardMustBeParty() {
    assertThatThrownBy(() -> PartyPeerInterceptor.peersOf(Identity.server("example.org", "job1", "job1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is no party identity");
  }
}
