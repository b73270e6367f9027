package dev.flotilla.bench;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Role;
import dev.flotilla.protocol.tls.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;

/** Certificates made at run time for the benchmark: one CA, the aggregator, parties p0..pN-1. */
final class Pki {

  static final String SERVER_NAME = "aggregator.bench.flotilla";

  private final CertificateAuthority ca = CertificateAuthority.createRoot("flotilla-bench-ca", Duration.ofDays(1),
      KeyType.EC_P256);
  private final Path dir;

  Pki(Path dir) {
    this.dir = dir;
  }

  TlsFiles server() {
    return issue(Role.SERVER, "aggregator",
        LeafRequest.builder(Role.SERVER, "aggregator").dnsNames(SERVER_NAME).ipAddresses("127.0.0.1")
            .uri("spiffe://bench.flotilla/server/aggregator"));
  }

  TlsFiles party(int i) {
    String name = "p" + i;
    return issue(Role.PARTY, name, LeafRequest.builder(Role.PARTY, name).uri("spiffe://bench.flotilla/party/" + name));
  }

  private TlsFiles issue(Role role, String name, LeafRequest.Builder request) {
    Path out = dir.resolve(name);
    if (!out.resolve("tls.crt").toFile().exists()) {
      ca.issue(request.build()).writeTo(out);
    }
    return TlsFiles.inDirectory(out);
  }
}
