package dev.flotilla.protocol.tls;

import static dev.flotilla.protocol.tls.TlsFixtures.stop;
import static dev.flotilla.protocol.tls.TlsFixtures.whoAmI;
import static dev.flotilla.protocol.tls.TlsFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.testing.NginxEscapedCertificate;
import dev.flotilla.testing.RogueCertificates;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A TLS-terminating proxy forwards the party's certificate in the ssl-client-cert header (ingress-nginx style). */
class ForwardedIdentityTest {
  private static CertificateAuthority ca;
  private static CertificateAuthority otherCa;

  @TempDir Path tmp;
  private Server server;
  private ManagedChannel channel;

  @BeforeAll
  static void createCas() {
    ca = JobPki.newAuthority("Flotilla Test CA", Duration.ofDays(30));
    otherCa = JobPki.newAuthority("Someone Else's CA", Duration.ofDays(30));
  }

  @BeforeEach
  void startServer() throws Exception {
    TlsFiles serverFiles = write(TlsFixtures.serverCertificate(ca), tmp.resolve("server"));
    server = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), serverFiles)
        .addService(TlsFixtures.identityService(
            PeerIdentityInterceptor.partiesOf(TlsFixtures.SERVER, Set.of("ingress-nginx"), serverFiles.trustedCa())))
        .build()
        .start();
  }

  @AfterEach
  void stopAll() throws Exception {
    stop(channel);
    stop(server);
  }

  private TlsFiles holder(Identity identity) {
    return write(ca.issue(LeafRequest.builder(identity).build()), tmp.resolve("client-" + identity.uri().hashCode()));
  }

  /** Calls over real mutual TLS as the holder of {@code connection}, forwarding {@code forwarded} if non-null. */
  private String callAs(TlsFiles connection, X509Certificate forwarded) {
    channel = MutualTlsChannels.forTarget("127.0.0.1:" + server.getPort(), TlsFixtures.SERVER_NAME, connection,
        ExpectedPeer.aggregatorOf(TlsFixtures.SERVER)).build();
    if (forwarded == null) {
      return whoAmI(channel);
    }
    Metadata headers = new Metadata();
    headers.put(PeerIdentityInterceptor.FORWARDED_CERT, NginxEscapedCertificate.of(forwarded));
    return whoAmI(ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)));
  }

  private static void assertRefused(ThrowingCallable call, Status.Code code, String... fragments) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(fragments);
    });
  }

  private static X509Certificate partyCert(CertificateAuthority issuer, String job, String name) {
    return issuer.issue(LeafRequest.builder(Identity.party(TlsFixtures.DOMAIN, job, name)).build()).certificate();
  }

  private TlsFiles ingress() {
    return holder(Identity.ingress(TlsFixtures.DOMAIN, "ingress-nginx"));
  }

  @Test
  @DisplayName("a trusted ingress forwarding a valid party certificate of the job makes the call run as that party")
  void trustedProxyForwardsParty() {
    assertThat(callAs(ingress(), partyCert(ca, "job1", "alice")))
        .isEqualTo("alice|party|spiffe://example.org/job/job1/party/alice");
  }

  @Test
  @DisplayName("a trusted ingress without the header is refused: a proxy never acts as itself")
  void trustedProxyWithoutHeader() {
    assertRefused(() -> callAs(ingress(), null), Status.Code.PERMISSION_DENIED, "a proxy never acts as itself");
  }

  @Test
  @DisplayName("a party cannot claim another identity with the header")
  void partyCannotForward() {
    assertRefused(() -> callAs(holder(Identity.party(TlsFixtures.DOMAIN, "job1", "mallory")), partyCert(ca, "job1", "alice")),
        Status.Code.UNAUTHENTICATED, "spiffe://example.org/job/job1/party/mallory", "only a trusted ingress may");
  }

  @Test
  @DisplayName("proxy trust is by role, not name: a party named ingress-nginx, or a CN-only certificate, cannot forward")
  void trustByRoleNotName() throws Exception {
    assertRefused(() -> callAs(holder(Identity.party(TlsFixtures.DOMAIN, "job1", "ingress-nginx")), partyCert(ca, "job1", "alice")),
        Status.Code.UNAUTHENTICATED, "only a trusted ingress may");
    stop(channel);
    ca.writeTo(tmp.resolve("ca-dir"));
    TlsFiles cnOnly = TlsFiles.inDirectory(RogueCertificates.issue(tmp.resolve("ca-dir"), tmp.resolve("cn-only"), "ingress-nginx"));
    assertRefused(() -> callAs(cnOnly, partyCert(ca, "job1", "alice")), Status.Code.UNAUTHENTICATED,
        "carries no Flotilla identity");
  }

  @Test
  @DisplayName("a trusted ingress cannot forward a party of another job, a server, or an ingress of another trust domain")
  void forwardedMustBeAPartyOfTheJob() throws Exception {
    assertRefused(() -> callAs(ingress(), partyCert(ca, "job2", "alice")), Status.Code.PERMISSION_DENIED,
        "forwarded by ingress-nginx", "is a party of job job2");
    stop(channel);
    X509Certificate server2 = ca.issue(LeafRequest.builder(Identity.server(TlsFixtures.DOMAIN, "job1", "job1"))
        .build()).certificate();
    assertRefused(() -> callAs(ingress(), server2), Status.Code.UNAUTHENTICATED, "is not a client certificate");
    stop(channel);
    assertRefused(() -> callAs(holder(Identity.ingress("other.org", "ingress-nginx")), partyCert(ca, "job1", "alice")),
        Status.Code.PERMISSION_DENIED, "is of trust domain other.org");
  }

  @Test
  @DisplayName("a forwarded certificate from another CA is refused as UNAUTHENTICATED, even from a trusted ingress")
  void otherCaRefused() {
    assertRefused(() -> callAs(ingress(), partyCert(otherCa, "job1", "eve")), Status.Code.UNAUTHENTICATED,
        "does not chain to a trusted CA");
  }

  @Test
  @DisplayName("the escaped PEM is %-decoded only: a base64 + stays a +; an over-long header is refused unread")
  void percentDecodingKeepsPlus() {
    assertThat(PeerIdentityInterceptor.percentDecoded("a%2Bb+c%0A")).isEqualTo("a+b+c\n");
    assertThatThrownBy(() -> PeerIdentityInterceptor.percentDecoded("%+1")).hasMessageContaining("invalid %-escape '%+1'");
    assertThatThrownBy(() -> PeerIdentityInterceptor.percentDecoded("%4")).hasMessageContaining("truncated");
    assertThatThrownBy(() -> PeerIdentityInterceptor.partiesOf(TlsFixtures.SERVER, Set.of("x"), tmp.resolve("none"))
        .verifiedForwarded("A".repeat(PeerIdentityInterceptor.MAX_FORWARDED_CERT_CHARS + 1)))
        .hasMessageContaining("more than " + PeerIdentityInterceptor.MAX_FORWARDED_CERT_CHARS);
  }
}
