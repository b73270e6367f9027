package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.tensor.FloatKernels;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.RuntimeImage;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregator's runtime image (profile "images": target/jib-image.tar) imported into the cluster's
 * containerd and run with ctr: the entrypoint bin/flotilla server runs, as uid 10001, and a server in
 * the container that answers a party over mutual TLS and serves its metrics.
 */
@RequiresRealServers({RealServer.CONTAINERD, RealServer.RUNTIME_IMAGE})
class ServerImageIT {

  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(2);
  private static final int RUNTIME_UID = 10001;

  private static RuntimeImage image;

  @TempDir Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  @BeforeAll
  static void importImage() {
    image = RuntimeImage.importFrom(RuntimeImage.moduleTarball());
  }

  @Test
  @DisplayName("the image runs the server jar's main class as uid 10001 with MALLOC_ARENA_MAX=2 and the Vector API module "
      + "(as bin/flotilla server), and `server --help` in it exits 0 with the usage")
  void entrypointIsTheServerCommand() throws IOException {
    String mainClass;
    try (JarFile jar = new JarFile("target/aggregator-server.jar")) {
      mainClass = jar.getManifest().getMainAttributes().getValue("Main-Class");
    }
    assertThat(image.reference()).startsWith("localhost/flotilla/server:").doesNotEndWith(":latest");
    assertThat(image.entrypoint()).containsExactly("java", "-cp", "@/app/jib-classpath-file", mainClass);
    assertThat(image.user()).isEqualTo(RUNTIME_UID + ":" + RUNTIME_UID);
    assertThat(image.environment()).containsEntry("MALLOC_ARENA_MAX", "2");
    // read by the java launcher: the Vector API for aggregation, as bin/flotilla server passes it
    assertThat(image.environment()).containsEntry("JDK_JAVA_OPTIONS", FloatKernels.VECTOR_API_JVM_OPTION);

    ProcessRun.Result help = image.run(RUN_TIMEOUT, List.of(), List.of("--help"));

    assertThat(help.exitCode()).as(help.output()).isZero();
    // before the usage, the java launcher names the options it picked up and the JVM its incubator module (stderr)
    assertThat(help.output()).startsWith("NOTE: Picked up JDK_JAVA_OPTIONS: " + FloatKernels.VECTOR_API_JVM_OPTION + "\n"
            + "WARNING: Using incubator modules: jdk.incubator.vector\nUsage: flotilla server")
        .contains("--job-id", "--min-parties");
  }

  @Test
  @DisplayName("the server in the container (read-only root; state, /tmp and certificates owned by uid 10001) reports "
      + "SERVING to a party over mutual TLS on BoringSSL and serves its Prometheus metrics")
  void serverAnswersFromTheContainer() throws Exception {
    TestPki pki = new TestPki(dir, "image-job");
    Path tls = pki.serverDir();
    Path alice = pki.partyDir("alice");
    Path state = Files.createDirectories(dir.resolve("state"));
    // the pod's emptyDir at /tmp (PodSecurityModel): netty-tcnative unpacks BoringSSL there
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    // as a pod's fsGroup would: the files the server reads and the directory it writes belong to its uid
    for (Path path : List.of(tls, tls.resolve("tls.crt"), tls.resolve("tls.key"), tls.resolve("ca.crt"), state, tmp)) {
      Files.setAttribute(path, "unix:uid", RUNTIME_UID);
    }
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    int port = FreePorts.next();
    int metricsPort = FreePorts.next();

    try (RuntimeImage.Started server = image.start(dir.resolve("server.log"), List.of("--net-host", "--read-only",
            "--mount", "type=bind,src=" + tls + ",dst=/etc/flotilla/tls,options=rbind:ro",
            "--mount", "type=bind,src=" + state + ",dst=/var/lib/flotilla,options=rbind:rw",
            "--mount", "type=bind,src=" + tmp + ",dst=/tmp,options=rbind:rw"),
        List.of("--port", String.valueOf(port), "--bind", "127.0.0.1",
            "--cert", "/etc/flotilla/tls/tls.crt", "--key", "/etc/flotilla/tls/tls.key", "--ca", "/etc/flotilla/tls/ca.crt",
            "--job-id", "image-job", "--rounds", "1", "--min-parties", "2", "--model", "mlp",
            "--state-dir", "/var/lib/flotilla", "--metrics-port", String.valueOf(metricsPort)))) {
      ManagedChannel channel = channels.open(port, alice);
      try {
        await("the server in the container SERVING over mTLS").atMost(Duration.ofSeconds(90)).ignoreExceptions()
            .failFast("the server's container ended", () -> server.status().equals("STOPPED"))
            .until(() -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus() == HealthCheckResponse.ServingStatus.SERVING);
      } catch (RuntimeException e) {
        throw new AssertionError(e.getMessage() + "; the container's output:\n" + server.log(), e);
      }
      assertThat(server.status()).as(server.log()).isEqualTo("RUNNING");

      HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains(ServerMetrics.ROUNDS_COMPLETED, ServerMetrics.PARTIES_CONNECTED);
      // the state directory is the server's: it wrote there as uid 10001 on a read-only root
      try (Stream<Path> written = Files.list(state)) {
        assertThat(written).isNotEmpty();
      }
    }
  }
}
