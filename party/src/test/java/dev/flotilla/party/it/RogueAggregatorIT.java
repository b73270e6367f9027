package dev.flotilla.party.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.protocol.tls.MutualTlsServers;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.RogueCertificates;
import io.grpc.HandlerRegistry;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding 1 of the trust-model review: anyone holding a party certificate of the job's CA (with
 * serverAuth, which parties need to serve their peers) could run an aggregator that real parties
 * connect to, train for and upload to. The party jar, as a real process, must refuse such a
 * server in the TLS handshake, say what it presented, and never make a call.
 */
@RequiresRealServers(RealServer.FASHION_MNIST)
class RogueAggregatorIT {
  private static final String DOMAIN = "flotilla.test";
  private static final String JOB = "it-rogue";

  @TempDir Path dir;
  private JobPki pki;

  @BeforeEach
  void jobPki() {
    pki = JobPki.create(dir, DOMAIN, JOB);
  }

  @BeforeAll
  static void partyJarBuilt() {
    Assumptions.assumeTrue(Files.isRegularFile(partyJar()), "SKIPPED: " + partyJar() + " is missing; build it with "
        + "mvn -pl party -am package -DskipTests");
  }

  /** The party jar: {@code -Dflotilla.party.jar=...} (e.g. an older build, to show this test fails there), else this checkout's. */
  static Path partyJar() {
    String override = System.getProperty("flotilla.party.jar");
    if (override != null) {
      return Path.of(override);
    }
    String root = System.getenv().getOrDefault("FLOTILLA_REPO_ROOT", Path.of("..").toAbsolutePath().normalize().toString());
    return Path.of(root, "party", "target", "party.jar");
  }

  /** A server presenting {@code files} that records every call that reaches it (and implements none). */
  private static Server recordingServer(TlsFiles files, List<String> calls) throws Exception {
    HandlerRegistry recorder = new HandlerRegistry() {
      @Override
      public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
        calls.add(methodName);
        return null;
      }
    };
    return MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), files)
        .fallbackHandlerRegistry(recorder).build().start();
  }

  private static Process party(Path partyDir, int port, Path log, List<String> extra) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", partyJar().toString(), "--server", "127.0.0.1:" + port, "--server-name", JOB + ".server." + DOMAIN,
        "--cert", partyDir.resolve("tls.crt").toString(), "--key", partyDir.resolve("tls.key").toString(),
        "--ca", partyDir.resolve("ca.crt").toString(), "--data", RealServer.fashionMnistDirectory().toString(),
        "--partition", "iid", "--partition-count", "6"));
    command.addAll(extra);
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private void assertRefused(Path rogueFiles, String presented) throws Exception {
    assertRefused(rogueFiles, presented, List.of(), "...");
  }

  private void assertRefused(Path rogueFiles, String presented, List<String> extra, String expectedName) throws Exception {
    Path alice = pki.party("alice");
    List<String> calls = new CopyOnWriteArrayList<>();
    Server rogue = recordingServer(TlsFiles.inDirectory(rogueFiles), calls);
    Path log = dir.resolve("party-" + rogueFiles.getFileName() + ".log");
    try {
      Process process = party(alice, rogue.getPort(), log, extra);
      assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("party exited").isTrue();
      String output = Files.readString(log);
      System.out.println("party against " + rogueFiles.getFileName() + ": exit " + process.exitValue() + "\n" + output);
      assertThat(process.exitValue()).as(output).isEqualTo(7);
      assertThat(output).contains("the peer presented " + presented
          + "; expected the aggregator of job it-rogue in flotilla.test (spiffe://flotilla.test/job/it-rogue/server/"
          + expectedName + ")");
      assertThat(calls).as("calls that reached the rogue server").isEmpty();
    } finally {
      rogue.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a party refuses a rogue aggregator holding a party certificate of its CA with the aggregator's host name, exits 7 (TLS) and never calls it")
  void partyCertificateAsAggregator() throws Exception {
    // what the old CSR policy signed for any party: serverAuth, the aggregator's name, a party identity
    Path mallory = RogueCertificates.issue(pki.caCertificate().getParent(), dir.resolve("mallory"), "mallory",
        "DNS:" + pki.serverName(), "URI:spiffe://" + DOMAIN + "/job/" + JOB + "/party/mallory");
    assertRefused(mallory, "spiffe://flotilla.test/job/it-rogue/party/mallory, a party identity");
  }

  @Test
  @DisplayName("a party refuses the aggregator of another job of the same CA and domain")
  void aggregatorOfAnotherJob() throws Exception {
    // a wildcard lets the other job's aggregator match this job's host name: only the identity tells them apart
    Path other = pki.issue(LeafRequest.builder(Identity.server(DOMAIN, "other", "other")).dnsNames("*.server." + DOMAIN),
        "other");
    assertRefused(other, "spiffe://flotilla.test/job/other/server/other, of job other in flotilla.test");
  }

  @Test
  @DisplayName("with --server-identity, a party refuses an aggregator of its own job under another name")
  void expectedServerIdentity() throws Exception {
    Path impostor = pki.issue(LeafRequest.builder(Identity.server(DOMAIN, JOB, "impostor")).dnsNames(pki.serverName()),
        "impostor");
    assertRefused(impostor, "spiffe://flotilla.test/job/it-rogue/server/impostor, named impostor",
        List.of("--server-identity", JOB), JOB);
  }
}
