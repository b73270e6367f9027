package dev.flotilla.e2e.ingress;

import static dev.flotilla.testing.RealServer.NGINX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.controller.model.NginxAnnotations;
import dev.flotilla.demo.FederationPki;
import dev.flotilla.demo.ingress.NginxProcess;
import dev.flotilla.protocol.tls.MutualTlsServers;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 256 MiB model through a real nginx configured from the controller's Ingress, both directions,
 * over the generated Federation stubs and the real TLS builders: the reason the controller
 * annotates body size and timeouts.
 */
@RequiresRealServers(NGINX)
@DisplayName("A 256 MiB model travels through nginx in both directions")
class LargeModelThroughIngressIT {

  static final long MODEL_BYTES = 256 * BulkTransfer.MIB;
  static long expectedCrc;

  @TempDir Path dir;
  Server backend;
  NginxProcess nginx;
  ManagedChannel channel;
  BulkTransfer.Service service = new BulkTransfer.Service(MODEL_BYTES);

  @BeforeAll
  static void crc() {
    expectedCrc = BulkTransfer.expectedCrc(MODEL_BYTES);
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (nginx != null) {
      nginx.close();
    }
    if (backend != null) {
      backend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private FederationPki pki() {
    return FederationPki.create(dir.resolve("pki"), Ingresses.JOB);
  }

  private void roundTrip() throws Exception {
    BulkTransfer.Result down = BulkTransfer.fetch(channel, 300);
    assertThat(down.bytes()).isEqualTo(MODEL_BYTES);
    assertThat(down.crc32()).as("CRC32 of the fetched model").isEqualTo(expectedCrc);

    SubmitUpdateResponse response = BulkTransfer.submit(channel, MODEL_BYTES, 300);
    assertThat(response.getValuesReceived()).isEqualTo(MODEL_BYTES / 4);
    assertThat(service.lastUpload.bytes()).isEqualTo(MODEL_BYTES);
    assertThat(service.lastUpload.crc32()).as("CRC32 of the uploaded update").isEqualTo(expectedCrc);
  }

  @Test
  @DisplayName("passthrough: FetchModel and SubmitUpdate of 256 MiB over mutual TLS end to end through the stream proxy")
  void passthrough() throws Exception {
    FederationPki pki = pki();
    int backendPort = FreePorts.next();
    backend = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", backendPort), Ingresses.files(pki.server()))
        .addService(service).build().start();
    nginx = Ingresses.start(dir.resolve("nginx"), TlsMode.PASSTHROUGH, pki, backendPort, UnaryOperator.identity(),
        Map.of());
    channel = Ingresses.partyChannel(nginx.address(), pki, "party-1");

    roundTrip();

    // nginx logs a passed-through connection when it ends
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    await("the connection in nginx's stream log").atMost(Duration.ofSeconds(10))
        .until(nginx::streamAccessLog, log -> log.contains("sni=\"" + pki.serverName() + "\" backend=127.0.0.1:"
            + backendPort));
  }

  @Test
  @DisplayName("terminate: 256 MiB both ways through nginx's HTTP/2 TLS server and grpc_pass with the controller's limits")
  void terminate() throws Exception {
    FederationPki pki = pki();
    int backendPort = FreePorts.next();
    // backend-protocol GRPCS: ingress-nginx speaks gRPC over mutual TLS to a Flotilla pod
    backend = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", backendPort), Ingresses.files(pki.server()))
        .addService(service).build().start();
    nginx = Ingresses.start(dir.resolve("nginx"), TlsMode.TERMINATE, pki, backendPort, UnaryOperator.identity(),
        Map.of());
    channel = Ingresses.partyChannel(nginx.address(), pki, "party-1");

    roundTrip();

    assertThat(nginx.accessLog()).contains("/flotilla.v1.Federation/SubmitUpdate").contains("/flotilla.v1.Federation/FetchModel");
  }

  @Test
  @DisplayName("terminate without the controller's body-size annotation: nginx's 1m default refuses the upload")
  void terminateWithoutBodySizeAnnotationRefusesUpload() throws Exception {
    FederationPki pki = pki();
    int backendPort = FreePorts.next();
    backend = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", backendPort), Ingresses.files(pki.server()))
        .addService(service).build().start();
    nginx = Ingresses.start(dir.resolve("nginx"), TlsMode.TERMINATE, pki, backendPort,
        ingress -> new IngressBuilder(ingress).editMetadata().removeFromAnnotations(NginxAnnotations.PROXY_BODY_SIZE)
            .endMetadata().build(),
        Map.of());
    channel = Ingresses.partyChannel(nginx.address(), pki, "party-1");

    assertThatThrownBy(() -> BulkTransfer.submit(channel, MODEL_BYTES, 120)).isInstanceOf(StatusRuntimeException.class);
    assertThat(nginx.errorLog()).contains("client intended to send too large");
    assertThat(service.lastUpload).isNull();
  }
}
