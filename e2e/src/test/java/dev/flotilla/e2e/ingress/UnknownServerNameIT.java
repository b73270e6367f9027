package dev.flotilla.e2e.ingress;

import static dev.flotilla.testing.RealServer.NGINX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.demo.FederationPki;
import dev.flotilla.demo.ingress.NginxProcess;
import dev.flotilla.protocol.tls.MutualTlsServers;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.RequiresRealServers;
import io.grpc.Server;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRealServers(NGINX)
@DisplayName("Passthrough nginx closes TLS connections for names no Ingress serves")
class UnknownServerNameIT {

  @TempDir Path dir;
  FederationPki pki;
  Server backend;
  NginxProcess nginx;
  int backendPort;

  @BeforeEach
  void start() throws IOException {
    pki = FederationPki.create(dir.resolve("pki"), Ingresses.JOB);
    backendPort = FreePorts.next();
    backend = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", backendPort), Ingresses.files(pki.server()))
        .addService(new BulkTransfer.Service(0)).build().start();
    nginx = Ingresses.start(dir.resolve("nginx"), TlsMode.PASSTHROUGH, pki, backendPort, UnaryOperator.identity(), Map.of());
  }

  @AfterEach
  void stop() throws InterruptedException {
    nginx.close();
    backend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Opens a TLS connection to nginx with {@code serverName} as SNI; returns the certificates the server showed. */
  List<X509Certificate> handshake(String serverName) throws Exception {
    List<X509Certificate> seen = new CopyOnWriteArrayList<>();
    TrustManager recorder = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
        seen.addAll(List.of(chain));
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {recorder}, null);
    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress("127.0.0.1", nginx.port()), 2000);
      raw.setSoTimeout(5000);
      SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(raw, serverName, nginx.port(), false);
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setServerNames(List.of(new SNIHostName(serverName)));
      parameters.setApplicationProtocols(new String[] {"h2"});
      socket.setSSLParameters(parameters);
      socket.startHandshake();
    } catch (IOException handshakeFailed) {
      if (seen.isEmpty()) {
        throw handshakeFailed;
      }
      // the aggregator ended the handshake for want of a client certificate, after showing its own
    }
    return seen;
  }

  @Test
  @DisplayName("the job's name reaches the aggregator, which shows its certificate")
  void servedNameReachesTheAggregator() throws Exception {
    List<X509Certificate> chain = handshake(pki.serverName());
    assertThat(chain).isNotEmpty();
    assertThat(chain.get(0).getSubjectX500Principal().getName()).contains("CN=" + Ingresses.JOB);
  }

  @Test
  @DisplayName("a name no Ingress serves: nginx closes the connection before any server certificate")
  void unknownNameIsClosed() throws Exception {
    String unknown = "job2.server." + FederationPki.DOMAIN;
    assertThatThrownBy(() -> handshake(unknown)).isInstanceOf(IOException.class);
    await("nginx's log of the refused connection").atMost(Duration.ofSeconds(10)).until(nginx::streamAccessLog,
        log -> log.contains("sni=\"" + unknown + "\" backend=unix:" + dir.resolve("nginx").toAbsolutePath()));
    assertThat(nginx.errorLog()).contains("no-ingress-serves-this-name.sock");
  }
}
