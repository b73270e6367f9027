package dev.flotilla.protocol.tls;

import static dev.flotilla.protocol.tls.TlsFixtures.stop;
import static dev.flotilla.protocol.tls.TlsFixtures.whoAmI;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Pem;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateHotReloadTest {
  @TempDir Path tmp;
  private Server server;
  private ManagedChannel existing;
  private ManagedChannel fresh;

  private final CertificateAuthority ca =
      JobPki.newAuthority("Reload CA", Duration.ofDays(30));
  private final LeafRequest serverRequest = LeafRequest.builder(TlsFixtures.SERVER)
      .dnsNames("*.server.example.org").lifetime(Duration.ofDays(1)).build();

  @AfterEach
  void stopAll() throws Exception {
    stop(existing);
    stop(fresh);
    stop(server);
  }

  private TlsFiles startServer(IssuedCertificate first) throws Exception {
    Path dir = tmp.resolve("server");
    first.writeTo(dir);
    server = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), TlsFiles.inDirectory(dir))
        .addService(TlsFixtures.identityService()).build().start();
    return TlsFiles.inDirectory(dir);
  }

  private ManagedChannel channel(TlsFiles client) {
    return TlsFixtures.channel(server.getPort(), client);
  }

  @Test
  @DisplayName("after the files are renewed, a new handshake presents the new certificate while an existing connection keeps working")
  void renewedCertificateServedWithoutRestart() throws Exception {
    IssuedCertificate v1 = ca.issue(serverRequest);
    startServer(v1);
    Path clientDir = tmp.resolve("alice");
    ca.issue(LeafRequest.builder(dev.flotilla.certs.Identity.party("example.org", "job1", "alice")).dnsNames("alice.party.example.org").build()).writeTo(clientDir);
    TlsFiles alice = TlsFiles.inDirectory(clientDir);

    AtomicReference<X509Certificate> seenByExisting = new AtomicReference<>();
    existing = channel(alice);
    assertThat(whoAmI(existing, seenByExisting)).startsWith("alice|");
    assertThat(seenByExisting.get()).isEqualTo(v1.certificate());

    IssuedCertificate v2 = ca.issue(serverRequest);
    v2.writeTo(tmp.resolve("server"));

    AtomicReference<X509Certificate> seenByFresh = new AtomicReference<>();
    fresh = channel(alice);
    assertThat(whoAmI(fresh, seenByFresh)).startsWith("alice|");
    assertThat(seenByFresh.get()).isEqualTo(v2.certificate());
    assertThat(seenByFresh.get().getSerialNumber()).isNotEqualTo(v1.certificate().getSerialNumber());

    // the connection made before the renewal still carries calls, on its original session
    assertThat(whoAmI(existing, seenByExisting)).startsWith("alice|");
    assertThat(seenByExisting.get()).isEqualTo(v1.certificate());
  }

  @Test
  @DisplayName("while only one of tls.crt/tls.key is renewed the old pair stays in use; the new pair is served once both match")
  void halfRenewedPairKeepsOldMaterial() throws Exception {
    IssuedCertificate v1 = ca.issue(serverRequest);
    TlsFiles files = startServer(v1);
    Path clientDir = tmp.resolve("alice");
    ca.issue(LeafRequest.builder(dev.flotilla.certs.Identity.party("example.org", "job1", "alice")).dnsNames("alice.party.example.org").build()).writeTo(clientDir);
    TlsFiles alice = TlsFiles.inDirectory(clientDir);

    IssuedCertificate v2 = ca.issue(serverRequest);
    Files.writeString(files.certificateChain(), Pem.encode(v2.certificateChain()));
    AtomicReference<X509Certificate> seen = new AtomicReference<>();
    existing = channel(alice);
    assertThat(whoAmI(existing, seen)).startsWith("alice|");
    assertThat(seen.get()).isEqualTo(v1.certificate());

    Files.writeString(files.privateKey(), Pem.encode(v2.privateKey()));
    fresh = channel(alice);
    assertThat(whoAmI(fresh, seen)).startsWith("alice|");
    assertThat(seen.get()).isEqualTo(v2.certificate());
  }
}
