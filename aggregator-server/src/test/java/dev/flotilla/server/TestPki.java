package dev.flotilla.server;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Role;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Certificates of one job in the trust domain flotilla.test, and channels to its aggregator, for
 * the mTLS tests: a CA made at run time, the aggregator's certificate for
 * {@code <job>.server.flotilla.test}, party certificates on demand.
 */
final class TestPki {
  static final String DOMAIN = "flotilla.test";

  private final Path dir;
  private final String job;
  private final CertificateAuthority ca;

  TestPki(Path dir, String job) {
    this.dir = dir;
    this.job = job;
    this.ca = CertificateAuthority.createRoot("flotilla-test-ca", Duration.ofDays(1), KeyType.EC_P256);
    issue(ca, dir, job, Role.SERVER, "server");
  }

  TlsFiles server() {
    return TlsFiles.inDirectory(dir.resolve("server"));
  }

  /** The name the aggregator's certificate carries and parties verify (also their SNI). */
  String serverName() {
    return serverName(job);
  }

  /** The credentials of a party of the job (issued on first use): spiffe://flotilla.test/job/JOB/party/NAME. */
  TlsFiles party(String name) {
    Path out = dir.resolve("party-" + name);
    if (!Files.exists(out.resolve("tls.key"))) {
      ca.issue(LeafRequest.builder(Identity.party(DOMAIN, job, name)).build()).writeTo(out);
    }
    return TlsFiles.inDirectory(out);
  }

  /** Credentials of any identity, signed by this job's CA, in {@code dir/dirName}. */
  Path issue(Identity identity, String dirName) {
    Path out = dir.resolve(dirName);
    ca.issue(LeafRequest.builder(identity).build()).writeTo(out);
    return out;
  }

  /** A channel to the job's aggregator on loopback, as the party NAME. */
  ManagedChannel channel(int port, String name) {
    return channel(port, party(name).certificateChain().getParent());
  }

  /** The job's aggregator ({@code <job>.server.flotilla.test}) or one of its parties, written to {@code dir/name}. */
  static Path issue(CertificateAuthority ca, Path dir, String job, Role role, String name) {
    Identity identity = role == Role.SERVER ? Identity.server(DOMAIN, job, job) : Identity.party(DOMAIN, job, name);
    LeafRequest.Builder request = LeafRequest.builder(identity);
    if (role == Role.SERVER) {
      request.dnsNames(serverName(job));
    }
    Path out = dir.resolve(name);
    ca.issue(request.build()).writeTo(out);
    return out;
  }

  static String serverName(String job) {
    return job + ".server." + DOMAIN;
  }

  /** A channel over mTLS to 127.0.0.1:port that accepts only the aggregator of the credentials' own job. */
  static ManagedChannel channel(int port, Path credentials) {
    TlsFiles files = TlsFiles.inDirectory(credentials);
    return MutualTlsChannels.forTarget("127.0.0.1:" + port, files.identity().serverHost(), files,
        ExpectedPeer.aggregatorOf(files.identity())).build();
  }

  /** A channel presenting any credentials (even ones without an identity) to the aggregator of {@code job}. */
  static ManagedChannel channelTo(int port, String job, Path credentials) {
    Identity aggregator = Identity.server(DOMAIN, job, job);
    return MutualTlsChannels.forTarget("127.0.0.1:" + port, aggregator.serverHost(), TlsFiles.inDirectory(credentials),
        ExpectedPeer.aggregatorOf(aggregator)).build();
  }
}
