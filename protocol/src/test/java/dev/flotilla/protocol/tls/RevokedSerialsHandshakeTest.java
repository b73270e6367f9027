package dev.flotilla.protocol.tls;

import static dev.flotilla.protocol.tls.TlsFixtures.stop;
import static dev.flotilla.protocol.tls.TlsFixtures.whoAmI;
import static dev.flotilla.protocol.tls.TlsFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.enroll.RevokedSerials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("a server with a revoked-serials file refuses those client certificates in the TLS handshake")
class RevokedSerialsHandshakeTest {
  @TempDir Path tmp;
  private Server server;
  private ManagedChannel alice;
  private ManagedChannel bob;

  @AfterEach
  void stopAll() throws Exception {
    stop(alice);
    stop(bob);
    stop(server);
  }

  private static String causes(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t).append('\n');
    }
    return all.toString();
  }

  @Test
  @DisplayName("a serial added to the file is refused at the next handshake with certificate_revoked; others go on")
  void revokedAtNextHandshake() throws Exception {
    CertificateAuthority ca = CertificateAuthority.createRoot("Flotilla Test CA", Duration.ofDays(30), KeyType.EC_P256);
    IssuedCertificate aliceCert = TlsFixtures.partyCertificate(ca, "alice");
    Path revoked = tmp.resolve("revoked");
    Files.writeString(revoked, RevokedSerials.none().text());
    server = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), write(TlsFixtures.serverCertificate(ca),
        tmp.resolve("server")), revoked).addService(TlsFixtures.identityService()).build().start();
    TlsFiles aliceFiles = write(aliceCert, tmp.resolve("alice"));
    alice = TlsFixtures.channel(server.getPort(), aliceFiles);
    assertThat(whoAmI(alice)).startsWith("alice|party|");

    Path next = tmp.resolve("revoked.next");
    Files.writeString(next, RevokedSerials.none().with(aliceCert.certificate().getSerialNumber(), "alice").text());
    Files.move(next, revoked, StandardCopyOption.ATOMIC_MOVE);

    // a new connection (a new handshake) is refused; bob, not listed, still gets in
    ManagedChannel again = TlsFixtures.channel(server.getPort(), aliceFiles);
    try {
      assertThatThrownBy(() -> whoAmI(again)).isInstanceOf(StatusRuntimeException.class)
          .satisfies(e -> assertThat(causes(e)).contains("CERTIFICATE_REVOKED"));
    } finally {
      stop(again);
    }
    bob = TlsFixtures.channel(server.getPort(), write(TlsFixtures.partyCertificate(ca, "bob"), tmp.resolve("bob")));
    assertThat(whoAmI(bob)).startsWith("bob|party|");
  }

  @Test
  @DisplayName("a missing or malformed file at start stops the server with a message naming it")
  void unusableFileRefusedAtStart() throws Exception {
    CertificateAuthority ca = CertificateAuthority.createRoot("Flotilla Test CA", Duration.ofDays(30), KeyType.EC_P256);
    TlsFiles files = write(TlsFixtures.serverCertificate(ca), tmp.resolve("server"));
    Path missing = tmp.resolve("nothing-here");
    assertThatThrownBy(() -> MutualTlsServers.sslContext(files, missing)).hasMessageContaining(missing.toString());
    Path bad = tmp.resolve("bad");
    Files.writeString(bad, "3f\nnot-a-serial\n");
    assertThatThrownBy(() -> MutualTlsServers.sslContext(files, bad)).hasMessageContaining("line 2");
  }
}
