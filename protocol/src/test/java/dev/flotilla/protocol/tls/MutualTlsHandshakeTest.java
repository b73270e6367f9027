package dev.flotilla.protocol.tls;

import static dev.flotilla.protocol.tls.TlsFixtures.stop;
import static dev.flotilla.protocol.tls.TlsFixtures.whoAmI;
import static dev.flotilla.protocol.tls.TlsFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.testing.RogueCertificates;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MutualTlsHandshakeTest {
  private static CertificateAuthority ca;
  private static CertificateAuthority otherCa;

  @TempDir Path tmp;
  private Server server;
  private ManagedChannel channel;
  private int port;

  @BeforeAll
  static void createCas() {
    ca = JobPki.newAuthority("Flotilla Test CA", Duration.ofDays(30));
    otherCa = JobPki.newAuthority("Someone Else's CA", Duration.ofDays(30));
  }

  @BeforeEach
  void startServer() throws Exception {
    IssuedCertificate serverCert = TlsFixtures.serverCertificate(ca);
    TlsFiles serverFiles = write(serverCert, tmp.resolve("server"));
    server = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), serverFiles)
        .addService(TlsFixtures.identityService())
        .build()
        .start();
    port = server.getPort();
  }

  @AfterEach
  void stopAll() throws Exception {
    stop(channel);
    stop(server);
  }

  private TlsFiles party(String name, CertificateAuthority issuer) {
    return write(TlsFixtures.partyCertificate(issuer, name), tmp.resolve("party-" + name + "-" + System.nanoTime()));
  }

  /** The server refused the handshake with a TLS alert (the client sees it in the cause chain). */
  private static void assertRefusedByServerAlert(StatusRuntimeException e) {
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    StringBuilder causes = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      causes.append(t).append('\n');
    }
    assertThat(causes.toString()).contains("TLSV1_ALERT");
  }

  @Test
  @DisplayName("BoringSSL is loaded and the server and channel contexts are OpenSSL (BoringSSL) contexts, not JDK TLS")
  void boringSslProvider() {
    BoringSsl.requireAvailable();
    assertThat(BoringSsl.providerName()).isEqualTo("BoringSSL");
    assertThat(MutualTlsServers.sslContext(TlsFiles.inDirectory(tmp.resolve("server")))).isInstanceOf(OpenSslContext.class);
    TlsFiles alice = party("alice", ca);
    assertThat(MutualTlsChannels.sslContext(alice, ExpectedPeer.aggregatorOf(alice.identity())))
        .isInstanceOf(OpenSslContext.class);
  }

  @Test
  @DisplayName("a party and a server with certificates of one CA complete mTLS; the server sees the party's spiffe identity")
  void mutualTlsCarriesPartyIdentity() {
    channel = TlsFixtures.channel(port, party("alice", ca));
    assertThat(whoAmI(channel)).isEqualTo("alice|party|spiffe://example.org/job/job1/party/alice");
  }

  @Test
  @DisplayName("hostname verification accepts a server name under the certificate's wildcard (*.server.example.org)")
  void wildcardNameAccepted() {
    AtomicReference<X509Certificate> seen = new AtomicReference<>();
    TlsFiles alice = party("alice", ca);
    channel = MutualTlsChannels.forTarget("127.0.0.1:" + port, "a.server.example.org", alice,
        ExpectedPeer.aggregatorOf(alice.identity())).build();
    assertThat(whoAmI(channel, seen)).startsWith("alice|");
    assertThat(seen.get().getSubjectX500Principal().getName()).isEqualTo("CN=job1");
  }

  @Test
  @DisplayName("hostname verification refuses names outside the wildcard: another domain, a deeper label, a sibling zone")
  void namesOutsideWildcardRefused() throws Exception {
    TlsFiles alice = party("alice", ca);
    for (String name : new String[] {"a.server.example.com", "a.b.server.example.org", "a.party.example.org"}) {
      ManagedChannel c = MutualTlsChannels.forTarget("127.0.0.1:" + port, name, alice,
          ExpectedPeer.aggregatorOf(alice.identity())).build();
      try {
        assertThatThrownBy(() -> whoAmI(c))
            .as("server name %s", name)
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      } finally {
        stop(c);
      }
    }
  }

  @Nested
  @DisplayName("a rogue aggregator holding a certificate of the job's own CA is refused by the party in the handshake")
  class RogueAggregator {
    @Test
    @DisplayName("a party certificate with serverAuth and the aggregator's host name: refused for its party identity")
    void partyCertificateAsServer() throws Exception {
      TlsFiles rogue = rogue("mallory", "DNS:*.server.example.org", "URI:spiffe://example.org/job/job1/party/mallory");
      assertThat(causes(callServerPresenting(rogue, party("alice", ca))))
          .contains("the peer presented spiffe://example.org/job/job1/party/mallory, a party identity; "
              + "expected the aggregator of job job1 in example.org");
    }

    @Test
    @DisplayName("the aggregator of another job: refused for its job")
    void serverOfAnotherJob() throws Exception {
      TlsFiles job2 = write(ca.issue(LeafRequest.builder(Identity.server("example.org", "job2", "job2"))
          .dnsNames("*.server.example.org").build()), tmp.resolve("job2"));
      assertThat(causes(callServerPresenting(job2, party("alice", ca))))
          .contains("the peer presented spiffe://example.org/job/job2/server/job2, of job job2 in example.org");
    }

    @Test
    @DisplayName("a CN-only certificate with the aggregator's host name: refused, it has no identity")
    void commonNameOnly() throws Exception {
      TlsFiles rogue = rogue("job1", "DNS:*.server.example.org");
      assertThat(causes(callServerPresenting(rogue, party("alice", ca))))
          .contains("a certificate without a Flotilla identity");
    }

    @Test
    @DisplayName("with an expected name, another aggregator of the same job is refused and the named one accepted")
    void expectedName() throws Exception {
      TlsFiles alice = party("alice", ca);
      TlsFiles second = write(ca.issue(LeafRequest.builder(Identity.server("example.org", "job1", "second"))
          .dnsNames("*.server.example.org").build()), tmp.resolve("second"));
      Server other = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), second)
          .addService(TlsFixtures.identityService()).build().start();
      ManagedChannel pinned = MutualTlsChannels.forTarget("127.0.0.1:" + other.getPort(), TlsFixtures.SERVER_NAME, alice,
          ExpectedPeer.aggregatorOf(alice.identity()).named("job1")).build();
      ManagedChannel named = MutualTlsChannels.forTarget("127.0.0.1:" + other.getPort(), TlsFixtures.SERVER_NAME, alice,
          ExpectedPeer.aggregatorOf(alice.identity()).named("second")).build();
      try {
        Throwable refused = null;
        try {
          whoAmI(pinned);
        } catch (StatusRuntimeException e) {
          refused = e;
        }
        assertThat(causes(refused)).contains("the peer presented spiffe://example.org/job/job1/server/second, named second; "
            + "expected the aggregator of job job1 in example.org (spiffe://example.org/job/job1/server/job1)");
        assertThat(whoAmI(named)).startsWith("alice|");
      } finally {
        stop(pinned);
        stop(named);
        stop(other);
      }
    }

    @Test
    @DisplayName("control: the real aggregator's certificate on the same kind of server is accepted")
    void realAggregatorAccepted() throws Exception {
      assertThat(callServerPresenting(write(TlsFixtures.serverCertificate(ca), tmp.resolve("real")), party("alice", ca)))
          .isNull();
    }
  }

  private TlsFiles rogue(String cn, String... sans) {
    ca.writeTo(tmp.resolve("ca-dir-" + cn));
    return TlsFiles.inDirectory(RogueCertificates.issue(tmp.resolve("ca-dir-" + cn), tmp.resolve("rogue-" + cn), cn, sans));
  }

  private static String causes(Throwable failure) {
    assertThat(failure).isInstanceOf(StatusRuntimeException.class);
    assertThat(((StatusRuntimeException) failure).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    StringBuilder all = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      all.append(t.getMessage()).append('\n');
    }
    return all.toString();
  }

  /** Starts a second server presenting {@code serverFiles}, calls it as {@code client}; returns the failure or null. */
  private Throwable callServerPresenting(TlsFiles serverFiles, TlsFiles client) throws Exception {
    Server other = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), serverFiles)
        .addService(TlsFixtures.identityService()).build().start();
    ManagedChannel c = TlsFixtures.channel(other.getPort(), client);
    try {
      whoAmI(c);
      return null;
    } catch (StatusRuntimeException e) {
      return e;
    } finally {
      stop(c);
      stop(other);
    }
  }

  @Test
  @DisplayName("a server certificate (serverAuth only) presented as a client certificate is refused by the server (EKU)")
  void serverCertificateRefusedAsClient() {
    TlsFiles serverAsClient = write(ca.issue(LeafRequest.builder(Identity.server("example.org", "job1", "other"))
        .dnsNames("other.server.example.org").build()), tmp.resolve("server-as-client"));
    channel = TlsFixtures.channel(port, serverAsClient);
    assertThatThrownBy(() -> whoAmI(channel)).isInstanceOfSatisfying(StatusRuntimeException.class,
        MutualTlsHandshakeTest::assertRefusedByServerAlert);
  }

  @Test
  @DisplayName("a client certificate from another CA is refused by a server that requires client certificates")
  void foreignCaRefused() {
    // the client trusts our CA (so it accepts the server) but presents a certificate of another CA
    TlsFiles foreign = party("eve", otherCa);
    TlsFiles mixed = new TlsFiles(foreign.certificateChain(), foreign.privateKey(), party("alice", ca).trustedCa());
    channel = MutualTlsChannels.forTarget("127.0.0.1:" + port, "a.server.example.org", mixed,
        ExpectedPeer.aggregatorOf(TlsFixtures.SERVER)).build();
    assertThatThrownBy(() -> whoAmI(channel)).isInstanceOfSatisfying(StatusRuntimeException.class,
        MutualTlsHandshakeTest::assertRefusedByServerAlert);
  }

  @Test
  @DisplayName("a client that presents no certificate at all is refused by the server")
  void noClientCertificateRefused() throws Exception {
    TlsFiles alice = party("alice", ca);
    var context = GrpcSslContexts.configure(SslContextBuilder.forClient().trustManager(alice.trustedCa().toFile()),
        SslProvider.OPENSSL).build();
    channel = NettyChannelBuilder.forTarget("127.0.0.1:" + port).overrideAuthority("a.server.example.org")
        .sslContext(context).build();
    assertThatThrownBy(() -> whoAmI(channel)).isInstanceOfSatisfying(StatusRuntimeException.class,
        MutualTlsHandshakeTest::assertRefusedByServerAlert);
  }

  @Test
  @DisplayName("a server whose certificate is from another CA is refused by the party")
  void foreignServerRefused() {
    TlsFiles alice = party("alice", ca);
    TlsFiles trustsOther = new TlsFiles(alice.certificateChain(), alice.privateKey(), party("x", otherCa).trustedCa());
    channel = TlsFixtures.channel(port, trustsOther);
    assertThatThrownBy(() -> whoAmI(channel))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }
}
