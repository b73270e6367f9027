package dev.flotilla.protocol.tls;

import static dev.flotilla.protocol.tls.TlsFixtures.stop;
import static dev.flotilla.protocol.tls.TlsFixtures.whoAmI;
import static dev.flotilla.protocol.tls.TlsFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Role;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Set;
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
    ca = CertificateAuthority.createRoot("Flotilla Test CA", Duration.ofDays(30), KeyType.EC_P256);
    otherCa = CertificateAuthority.createRoot("Someone Else's CA", Duration.ofDays(30), KeyType.EC_P256);
  }

  @BeforeEach
  void startServer() throws Exception {
    TlsFiles serverFiles = write(ca.issue(LeafRequest.builder(Role.SERVER, "aggregator")
        .dnsNames("*.server.example.org").ipAddresses("127.0.0.1").build()), tmp.resolve("server"));
    server = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), serverFiles)
        .addService(TlsFixtures.identityService(
            new PeerIdentityInterceptor(Set.of("ingress-nginx"), serverFiles.trustedCa())))
        .build()
        .start();
  }

  @AfterEach
  void stopAll() throws Exception {
    stop(channel);
    stop(server);
  }

  private String callAs(String connectionName, X509Certificate forwarded) {
    TlsFiles files = write(ca.issue(LeafRequest.builder(Role.PARTY, connectionName)
        .dnsNames(connectionName + ".example.org").build()), tmp.resolve("client-" + connectionName));
    channel = MutualTlsChannels.forTarget("127.0.0.1:" + server.getPort(), "job1.server.example.org", files).build();
    if (forwarded == null) {
      return whoAmI(channel);
    }
    Metadata headers = new Metadata();
    headers.put(PeerIdentityInterceptor.FORWARDED_CERT, escapedPem(forwarded));
    return whoAmI(ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)));
  }

  /** What nginx's $ssl_client_escaped_cert holds: the PEM with reserved characters %-escaped. */
  private static String escapedPem(X509Certificate certificate) {
    try {
      String pem = "-----BEGIN CERTIFICATE-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded())
          + "\n-----END CERTIFICATE-----\n";
      StringBuilder out = new StringBuilder();
      for (byte b : pem.getBytes(StandardCharsets.US_ASCII)) {
        char c = (char) b;
        if (Character.isLetterOrDigit(c) || c == '-' || c == '.' || c == '_') {
          out.append(c);
        } else {
          out.append('%').append(String.format("%02X", b));
        }
      }
      return out.toString();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate partyCert(CertificateAuthority issuer, String name) {
    return issuer.issue(LeafRequest.builder(Role.PARTY, name).dnsNames(name + ".party.example.org")
        .uri("spiffe://example.org/party/" + name).build()).certificate();
  }

  @Test
  @DisplayName("a trusted proxy forwarding a valid party certificate makes the call run as that party")
  void trustedProxyForwardsParty() {
    assertThat(callAs("ingress-nginx", partyCert(ca, "alice")))
        .isEqualTo("alice|party|spiffe://example.org/party/alice");
  }

  @Test
  @DisplayName("a trusted proxy without the header keeps its own identity")
  void trustedProxyWithoutHeader() {
    assertThat(callAs("ingress-nginx", null)).startsWith("ingress-nginx|");
  }

  @Test
  @DisplayName("a peer that is not a trusted proxy cannot claim another identity with the header: UNAUTHENTICATED")
  void untrustedPeerRefused() {
    assertThatThrownBy(() -> callAs("mallory", partyCert(ca, "alice")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getStatus().getDescription()).contains("'mallory'").contains("not a trusted proxy");
        });
  }

  @Test
  @DisplayName("a forwarded certificate from another CA is refused as UNAUTHENTICATED, even from a trusted proxy")
  void otherCaRefused() {
    assertThatThrownBy(() -> callAs("ingress-nginx", partyCert(otherCa, "eve")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getStatus().getDescription()).contains("does not chain to a trusted CA");
        });
  }

  @Test
  @DisplayName("the escaped PEM is %-decoded only: a base64 + stays a +")
  void percentDecodingKeepsPlus() {
    assertThat(PeerIdentityInterceptor.percentDecoded("a%2Bb+c%0A")).isEqualTo("a+b+c\n");
  }
}
