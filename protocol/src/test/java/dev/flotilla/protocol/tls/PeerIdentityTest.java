package dev.flotilla.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Role;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PeerIdentityTest {
  private static final CertificateAuthority CA =
      CertificateAuthority.createRoot("Identity CA", Duration.ofDays(1), KeyType.EC_P256);

  @Test
  @DisplayName("the identity is the name in the spiffe URI SAN, with its role, not the CN")
  void fromSpiffeUri() {
    var cert = CA.issue(LeafRequest.builder(Role.PARTY, "cn-alice").dnsNames("alice.party.example.org")
        .uri("spiffe://example.org/party/alice").build()).certificate();
    PeerIdentity id = PeerIdentity.of(cert).orElseThrow();
    assertThat(id.name()).isEqualTo("alice");
    assertThat(id.role()).isEqualTo("party");
    assertThat(id.isParty()).isTrue();
    assertThat(id.uri()).isEqualTo("spiffe://example.org/party/alice");
    assertThat(id.certificate()).isEqualTo(cert);
  }

  @Test
  @DisplayName("without a spiffe URI SAN the identity falls back to the CN")
  void fallsBackToCommonName() {
    var cert = CA.issue(LeafRequest.builder(Role.PARTY, "bob").dnsNames("bob.example.org")
        .uri("https://example.org/not-an-identity").build()).certificate();
    PeerIdentity id = PeerIdentity.of(cert).orElseThrow();
    assertThat(id.name()).isEqualTo("bob");
    assertThat(id.uri()).isNull();
    assertThat(id.isParty()).isFalse();
  }

  @Test
  @DisplayName("on a plaintext connection (no client certificate) the interceptor closes the call as UNAUTHENTICATED")
  void plaintextUnauthenticated() throws Exception {
    io.grpc.Server server = io.grpc.netty.NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", 0))
        .addService(TlsFixtures.identityService()).build().start();
    io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
        .usePlaintext().build();
    try {
      assertThatThrownBy(() -> TlsFixtures.whoAmI(channel))
          .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED);
            assertThat(e.getStatus().getDescription()).contains("no verified client certificate");
          });
    } finally {
      TlsFixtures.stop(channel);
      TlsFixtures.stop(server);
    }
  }

  @Test
  @DisplayName("missing certificate files fail the server builder at once, naming the files")
  void missingFiles(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    assertThatThrownBy(() -> MutualTlsServers.forAddress(new java.net.InetSocketAddress("127.0.0.1", 0),
        TlsFiles.inDirectory(dir)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(dir.resolve("tls.crt").toString());
  }

  @Test
  @DisplayName("a call without a TLS session has no identity, and current() outside a call says the interceptor is missing")
  void noSession() {
    assertThat(PeerIdentityInterceptor.identityOf(null)).isEmpty();
    assertThatThrownBy(PeerIdentity::current).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("PeerIdentityInterceptor");
  }
}
