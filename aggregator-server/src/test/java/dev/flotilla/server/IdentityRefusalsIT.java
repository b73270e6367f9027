package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.NginxEscapedCertificate;
import dev.flotilla.testing.RogueCertificates;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding 5 of the trust-model review, on the packaged server as a real process over real mutual
 * TLS: identity was a bare name (any role, any trust domain, the CN when no URI, the first of
 * several URIs, a proxy trusted by its name). Every certificate below is signed by the job's own
 * CA; only a party of the server's trust domain and job gets in.
 */
class IdentityRefusalsIT {
  private static final String JOB = "id-job";

  @TempDir Path dir;
  @RegisterExtension final OpenChannels channels = new OpenChannels();
  private Process server;

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.destroyForcibly();
    }
  }

  private Channel channel(int port, Path credentials) {
    return channels.add(TestPki.channelTo(port, JOB, credentials));
  }

  private static String join(Channel channel) {
    return FederationGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
        .join(JoinRequest.newBuilder().setNumSamples(100).build()).getJobId();
  }

  /**
   * Asserts the refusal, then closes the channels opened so far: an identity that is no party of the job
   * may keep only 2 connections (and every certificate without a Flotilla identity here has subject CN=alice),
   * so a poll that left its channel open would be closed after its handshake, not refused by the call.
   */
  private void assertRefused(Channel channel, Status.Code code, String fragment) {
    try {
      assertThatThrownBy(() -> join(channel)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
        assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
        assertThat(e.getStatus().getDescription()).contains(fragment);
      });
    } finally {
      channels.closeAll();
    }
  }

  private static Channel forwarding(Channel channel, Path forwardedCertificate) throws Exception {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("ssl-client-cert", Metadata.ASCII_STRING_MARSHALLER),
        NginxEscapedCertificate.ofPem(Files.readString(forwardedCertificate.resolve("tls.crt"))));
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private Path issue(TestPki pki, Identity identity) {
    return pki.issue(identity, identity.uri().replaceAll("[^a-z0-9]+", "-"));
  }

  @Test
  @DisplayName("only a party of the server's own trust domain and job is admitted; every other certificate of its CA is refused, naming what it presented")
  void onlyPartiesOfTheJob() throws Exception {
    TestPki ca = new TestPki(dir, JOB); // its CA in dir/ca, where RogueCertificates finds it
    Path serverDir = ca.serverDir();
    int port = FreePorts.next();
    // -Dflotilla.server.jar=... runs another build (e.g. the previous one, to show this test fails there)
    Path jar = Path.of(System.getProperty("flotilla.server.jar", "target/aggregator-server.jar")).toAbsolutePath();
    assertThat(jar).as("run after `package`").exists();
    server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(),
        "--port", String.valueOf(port), "--bind", "127.0.0.1", "--cert", serverDir.resolve("tls.crt").toString(),
        "--key", serverDir.resolve("tls.key").toString(), "--ca", serverDir.resolve("ca.crt").toString(),
        "--rounds", "1", "--min-parties", "1", "--expected-parties", "1", "--trusted-proxy", "ingress-nginx",
        "--state-dir", dir.resolve("state").toString(), "--status-file", dir.resolve("status.json").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();

    Path alice = ca.partyDir("alice");
    Path otherJob = issue(ca, Identity.party(TestPki.DOMAIN, "other-job", "alice"));
    Path otherDomain = issue(ca, Identity.party("elsewhere.test", JOB, "alice"));
    Path otherServer = issue(ca, Identity.server(TestPki.DOMAIN, JOB, "second"));
    Path controller = issue(ca, Identity.controller(TestPki.DOMAIN, "flotilla"));
    Path ingress = issue(ca, Identity.ingress(TestPki.DOMAIN, "ingress-nginx"));
    Path partyNamedLikeIngress = ca.partyDir("ingress-nginx");
    Path cnOnly = RogueCertificates.issue(dir.resolve("ca"), dir.resolve("cn-only"), "alice");
    Path cnOnlyIngress = RogueCertificates.issue(dir.resolve("ca"), dir.resolve("cn-ingress"), "ingress-nginx");
    Path twoUris = RogueCertificates.issue(dir.resolve("ca"), dir.resolve("two-uris"), "alice",
        "URI:spiffe://flotilla.test/job/id-job/party/alice", "URI:spiffe://flotilla.test/job/id-job/server/id-job");
    Path oldShape = RogueCertificates.issue(dir.resolve("ca"), dir.resolve("old-shape"), "alice",
        "URI:spiffe://flotilla.test/party/alice");

    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
        .untilAsserted(() -> assertRefused(channel(port, otherJob), Status.Code.PERMISSION_DENIED,
            "spiffe://flotilla.test/job/other-job/party/alice (connected directly) is a party of job other-job"));
    assertRefused(channel(port, otherDomain), Status.Code.PERMISSION_DENIED, "is of trust domain elsewhere.test");
    // a server certificate has no clientAuth: refused in the handshake already
    assertRefused(channel(port, otherServer), Status.Code.UNAVAILABLE, "ssl exception");
    assertRefused(channel(port, controller), Status.Code.PERMISSION_DENIED, "is a controller identity");
    assertRefused(channel(port, cnOnly), Status.Code.UNAUTHENTICATED, "carries 0 URI SANs");
    assertRefused(channel(port, twoUris), Status.Code.UNAUTHENTICATED, "carries 2 URI SANs");
    assertRefused(channel(port, oldShape), Status.Code.UNAUTHENTICATED, "a party identity must name its job");
    // proxies: trusted by role, not by name; they forward only parties of the job and never act as themselves
    assertRefused(forwarding(channel(port, partyNamedLikeIngress), alice), Status.Code.UNAUTHENTICATED,
        "only a trusted ingress may");
    assertRefused(forwarding(channel(port, cnOnlyIngress), alice), Status.Code.UNAUTHENTICATED,
        "carries no Flotilla identity");
    assertRefused(forwarding(channel(port, ingress), otherJob), Status.Code.PERMISSION_DENIED, "is a party of job other-job");
    assertRefused(channel(port, ingress), Status.Code.PERMISSION_DENIED, "a proxy never acts as itself");

    // the one slot of the job is still free: alice, through the trusted ingress, takes it
    assertThat(join(forwarding(channel(port, ingress), alice))).isEqualTo(JOB);
    String log = Files.readString(dir.resolve("server.log"));
    assertThat(log).contains("job id-job: party alice joined").doesNotContain("party ingress-nginx joined");
  }
}
