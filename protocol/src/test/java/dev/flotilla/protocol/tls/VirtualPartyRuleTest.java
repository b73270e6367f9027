package dev.flotilla.protocol.tls;

import static dev.flotilla.protocol.tls.TlsFixtures.DOMAIN;
import static dev.flotilla.protocol.tls.TlsFixtures.JOB;
import static dev.flotilla.protocol.tls.TlsFixtures.SERVER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which virtual party a host's call acts as, decided from its verified certificate and its header (no network). */
class VirtualPartyRuleTest {
  private static final CertificateAuthority CA = JobPki.newAuthority("Virtual CA", Duration.ofDays(1));
  private static final X509Certificate HOST = issued(Identity.virtualPartyHost(DOMAIN, JOB, "pod-a", 5));
  private static final X509Certificate PLAIN = issued(Identity.party(DOMAIN, JOB, "alice"));
  private static final PeerIdentityInterceptor ADMITS_5 = PeerIdentityInterceptor.partiesOf(SERVER)
      .withVirtualPartiesPerHost(5);

  private static X509Certificate issued(Identity identity) {
    return CA.issue(LeafRequest.builder(identity).build()).certificate();
  }

  private static PeerIdentityInterceptor.Decision decide(PeerIdentityInterceptor interceptor, int perHost,
      X509Certificate leaf, String header) {
    return VirtualPartyRule.upTo(perHost).apply(interceptor.decide(Optional.of(leaf), null), header);
  }

  private static void assertRefused(PeerIdentityInterceptor.Decision d, String... fragments) {
    assertThat(d.caller()).isNull();
    assertThat(d.refusal().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(d.refusal().getDescription()).contains(fragments);
  }

  @Test
  @DisplayName("a host's call acts as the virtual party its header names when the certificate covers it")
  void covered() {
    PeerIdentityInterceptor.Decision d = decide(ADMITS_5, 5, HOST, "pod-a-v4");
    assertThat(d.refusal()).isNull();
    assertThat(d.caller().name()).isEqualTo("pod-a-v4");
    assertThat(d.caller().uri()).isEqualTo("spiffe://example.org/job/job1/party/pod-a-v4");
    assertThat(d.caller().isParty()).isTrue();
    assertThat(d.caller().certificate()).isEqualTo(HOST);
  }

  @Test
  @DisplayName("a name outside the certificate is refused, naming the name and the range the certificate covers")
  void outside() {
    assertRefused(decide(ADMITS_5, 5, HOST, "pod-a-v5"), "virtual party 'pod-a-v5' is not covered",
        "covers pod-a-v0 .. pod-a-v4 only");
    assertRefused(decide(ADMITS_5, 5, HOST, "pod-b-v0"), "'pod-b-v0' is not covered");
    assertRefused(decide(ADMITS_5, 5, HOST, "pod-a"), "'pod-a' is not covered");
    assertRefused(decide(ADMITS_5, 5, HOST, "x".repeat(5000)), "'" + "x".repeat(63) + "...' is not covered");
  }

  @Test
  @DisplayName("a host never acts as itself: without the header it is refused")
  void noHeader() {
    assertRefused(decide(ADMITS_5, 5, HOST, null), "acts only as one of its virtual parties",
        VirtualPartyRule.HEADER_NAME);
  }

  @Test
  @DisplayName("an aggregator that admits no hosts, or fewer virtual parties than declared, refuses the host")
  void perHostBound() {
    assertRefused(decide(ADMITS_5, 0, HOST, "pod-a-v0"), "admits none", "--virtual-parties-per-host is 0");
    assertRefused(decide(ADMITS_5, 4, HOST, "pod-a-v0"), "declares 5 virtual parties", "--virtual-parties-per-host 4");
  }

  @Test
  @DisplayName("an ordinary party is admitted as itself, and refused when it names a virtual party")
  void ordinaryParty() {
    assertThat(decide(ADMITS_5, 5, PLAIN, null).caller().name()).isEqualTo("alice");
    assertRefused(decide(ADMITS_5, 5, PLAIN, "alice-v0"), "named virtual party 'alice-v0'",
        "hosts no virtual parties");
  }

  @Test
  @DisplayName("a refusal decided before the rule (another job) stays that refusal")
  void earlierRefusal() {
    X509Certificate otherJob = issued(Identity.virtualPartyHost(DOMAIN, "other", "pod-a", 5));
    PeerIdentityInterceptor.Decision d = decide(ADMITS_5, 5, otherJob, "pod-a-v0");
    assertThat(d.refusal().getDescription()).contains("not of job " + JOB);
  }
}
