package dev.flotilla.bench;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;

/** Certificates made at run time for the benchmark: one CA, the aggregator of job "bench", parties p0..pN-1. */
final class Pki {

  static final String DOMAIN = "bench.flotilla";
  static final String JOB = "bench";
  static final Identity SERVER = Identity.server(DOMAIN, JOB, JOB);
  static final String SERVER_NAME = SERVER.serverHost();
  /** What a party of the job accepts from the server it connects to. */
  static final ExpectedPeer AGGREGATOR = ExpectedPeer.aggregatorOf(SERVER);

  private final CertificateAuthority ca = CertificateAuthority.createRoot("flotilla-bench-ca", Duration.ofDays(1),
      KeyType.EC_P256);
  private final Path dir;

  Pki(Path dir) {
    this.dir = dir;
  }

  TlsFiles server() {
    return issue("server", LeafRequest.builder(SERVER).dnsNames(SERVER_NAME));
  }

  /** Party {@code i}'s credentials; its DNS name is its party host, so it can also serve its peer endpoint. */
  TlsFiles party(int i) {
    Identity party = partyIdentity(i);
    return issue(party.name(), LeafRequest.builder(party).dnsNames(party.partyHost()));
  }

  static Identity partyIdentity(int i) {
    return Identity.party(DOMAIN, JOB, "p" + i);
  }

  private TlsFiles issue(String name, LeafRequest.Builder request) {
    Path out = dir.resolve(name);
    if (!out.resolve("tls.crt").toFile().exists()) {
      ca.issue(request.build()).writeTo(out);
    }
    return TlsFiles.inDirectory(out);
  }
}
