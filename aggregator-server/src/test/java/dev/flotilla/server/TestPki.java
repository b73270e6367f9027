package dev.flotilla.server;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Role;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** A CA made at run time with a server certificate for loopback and party certificates on demand (for ITs). */
final class TestPki {

  static final String SERVER_NAME = "aggregator.flotilla.test";

  private final Path dir;
  private final CertificateAuthority ca;

  TestPki(Path dir) {
    this.dir = dir;
    this.ca = CertificateAuthority.createRoot("flotilla-test-ca", Duration.ofDays(1), KeyType.EC_P256);
    ca.issue(LeafRequest.builder(Role.SERVER, "aggregator").uri("spiffe://flotilla.test/server/aggregator")
        .dnsNames(SERVER_NAME, "localhost").ipAddresses("127.0.0.1").build()).writeTo(dir.resolve("server"));
  }

  TlsFiles server() {
    return TlsFiles.inDirectory(dir.resolve("server"));
  }

  /** The credentials of a party (issued on first use): identity spiffe://flotilla.test/party/NAME. */
  TlsFiles party(String name) {
    Path out = dir.resolve("party-" + name);
    if (!Files.exists(out.resolve("tls.key"))) {
      ca.issue(LeafRequest.builder(Role.PARTY, name).uri("spiffe://flotilla.test/party/" + name).build()).writeTo(out);
    }
    return TlsFiles.inDirectory(out);
  }

  /** A channel to a server on loopback, as the party NAME. */
  ManagedChannel channel(int port, String name) {
    return MutualTlsChannels.forTarget("127.0.0.1:" + port, SERVER_NAME, party(name)).build();
  }
}
