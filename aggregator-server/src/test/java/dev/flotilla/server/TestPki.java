package dev.flotilla.server;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import io.grpc.ManagedChannel;
import java.nio.file.Path;

/**
 * Certificates of one job in the trust domain flotilla.test, and channels to its aggregator, for
 * the mTLS tests: a {@link JobPki} made at run time (the aggregator's certificate for
 * {@code <job>.server.flotilla.test}, party certificates on demand).
 */
final class TestPki {
  static final String DOMAIN = "flotilla.test";

  private final JobPki pki;

  TestPki(Path dir, String job) {
    this.pki = JobPki.create(dir, DOMAIN, job);
  }

  TlsFiles server() {
    return TlsFiles.inDirectory(pki.server());
  }

  /** The directory of the aggregator's tls.crt, tls.key and ca.crt. */
  Path serverDir() {
    return pki.server();
  }

  /** The directory of a party's credentials (issued on first use). */
  Path partyDir(String name) {
    return pki.party(name);
  }

  /** The name the aggregator's certificate carries and parties verify (also their SNI). */
  String serverName() {
    return pki.serverName();
  }

  /** The credentials of a party of the job (issued on first use): spiffe://flotilla.test/job/JOB/party/NAME. */
  TlsFiles party(String name) {
    return TlsFiles.inDirectory(pki.party(name));
  }

  /** Credentials of any identity, signed by this job's CA, in {@code dir/dirName}. */
  Path issue(Identity identity, String dirName) {
    return pki.issue(identity, dirName);
  }

  /** A channel to the job's aggregator on loopback, as the party NAME. */
  ManagedChannel channel(int port, String name) {
    return channel(port, party(name).certificateChain().getParent());
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
