package dev.flotilla.protocol.tls;

import static dev.flotilla.protocol.tls.TlsFixtures.stop;
import static dev.flotilla.protocol.tls.TlsFixtures.whoAmI;
import static dev.flotilla.protocol.tls.TlsFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Role;
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
    ca = CertificateAuthority.createRoot("Flotilla Test CA", Duration.ofDays(30), KeyType.EC_P256);
    otherCa = CertificateAuthority.createRoot("Someone Else's CA", Duration.ofDays(30), KeyType.EC_P256);
  }

  @BeforeEach
  void startServer() throws Exception {
    IssuedCertificate serverCert = ca.issue(LeafRequest.builder(Role.SERVER, "aggregator")
        .dnsNames("*.server.example.org").ipAddresses("127.0.0.1").build());
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
    return write(issuer.issue(LeafRequest.builder(Role.PARTY, name).dnsNames(name + ".party.example.org").build()),
        tmp.resolve("party-" + name + "-" + System.nanoTime()));
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
    assertThat(MutualTlsChannels.sslContext(party("alice", ca))).isInstanceOf(OpenSslContext.class);
  }

  @Test
  @DisplayName("a party and a server with certificates of one CA complete mTLS; the server sees the party's spiffe identity")
  void mutualTlsCarriesPartyIdentity() {
    channel = MutualTlsChannels.forTarget("127.0.0.1:" + port, "job1.server.example.org", party("alice", ca)).build();
    assertThat(whoAmI(channel)).isEqualTo("alice|party|spiffe://example.org/party/alice");
  }

  @Test
  @DisplayName("hostname verification accepts a server name under the certificate's wildcard (*.server.example.org)")
  void wildcardNameAccepted() {
    AtomicReference<X509Certificate> seen = new AtomicReference<>();
    channel = MutualTlsChannels.forTarget("127.0.0.1:" + port, "a.server.example.org", party("alice", ca)).build();
    assertThat(whoAmI(channel, seen)).startsWith("alice|");
    assertThat(seen.get().getSubjectX500Principal().getName()).isEqualTo("CN=aggregator");
  }

  @Test
  @DisplayName("without a server name the target's host is verified: 127.0.0.1 matches the certificate's IP SAN")
  void targetHostVerified() {
    channel = MutualTlsChannels.forTarget("127.0.0.1:" + port, null, party("alice", ca)).build();
    assertThat(whoAmI(channel)).startsWith("alice|");
  }

  @Test
  @DisplayName("hostname verification refuses names outside the wildcard: another domain, a deeper label, a sibling zone")
  void namesOutsideWildcardRefused() throws Exception {
    TlsFiles alice = party("alice", ca);
    for (String name : new String[] {"a.server.example.com", "a.b.server.example.org", "a.party.example.org"}) {
      ManagedChannel c = MutualTlsChannels.forTarget("127.0.0.1:" + port, name, alice).build();
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

  @Test
  @DisplayName("a party certificate without serverAuth presented as a server certificate is refused by the client (EKU)")
  void partyCertificateRefusedAsServer() throws Exception {
    TlsFiles alice = party("alice", ca);
    // control: the same names with serverAuth (a party that serves its peers) are accepted...
    IssuedCertificate serving = ca.issue(LeafRequest.builder(Role.PARTY, "peer")
        .dnsNames("*.server.example.org").build());
    assertThat(callServerPresenting(serving, "serving", alice)).isNull();
    // ...so the only difference, the missing serverAuth usage, is what gets a client-only party refused
    IssuedCertificate clientOnly = ca.issue(LeafRequest.builder(Role.PARTY, "mallory")
        .dnsNames("*.server.example.org").clientOnly().build());
    assertThat(callServerPresenting(clientOnly, "client-only", alice))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  /** Starts a second server presenting {@code certificate}, calls it as {@code client}; returns the failure or null. */
  private Throwable callServerPresenting(IssuedCertificate certificate, String dir, TlsFiles client) throws Exception {
    Server other = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), write(certificate, tmp.resolve(dir)))
        .addService(TlsFixtures.identityService()).build().start();
    ManagedChannel c = MutualTlsChannels.forTarget("127.0.0.1:" + other.getPort(), "a.server.example.org", client).build();
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
    TlsFiles serverAsClient = write(ca.issue(LeafRequest.builder(Role.SERVER, "other-server")
        .dnsNames("other.server.example.org").build()), tmp.resolve("server-as-client"));
    channel = MutualTlsChannels.forTarget("127.0.0.1:" + port, "a.server.example.org", serverAsClient).build();
    assertThatThrownBy(() -> whoAmI(channel)).isInstanceOfSatisfying(StatusRuntimeException.class,
        MutualTlsHandshakeTest::assertRefusedByServerAlert);
  }

  @Test
  @DisplayName("a client certificate from another CA is refused by a server that requires client certificates")
  void foreignCaRefused() {
    // the client trusts our CA (so it accepts the server) but presents a certificate of another CA
    TlsFiles foreign = party("eve", otherCa);
    TlsFiles mixed = new TlsFiles(foreign.certificateChain(), foreign.privateKey(), party("alice", ca).trustedCa());
    channel = MutualTlsChannels.forTarget("127.0.0.1:" + port, "a.server.example.org", mixed).build();
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
    channel = MutualTlsChannels.forTarget("127.0.0.1:" + port, "a.server.example.org", trustsOther).build();
    assertThatThrownBy(() -> whoAmI(channel))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }
}
