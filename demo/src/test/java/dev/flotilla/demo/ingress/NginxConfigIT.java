package dev.flotilla.demo.ingress;

import static dev.flotilla.testing.RealServer.NGINX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.model.NginxAnnotations;
import dev.flotilla.demo.FederationPki;
import dev.flotilla.demo.TlsPaths;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRealServers(NGINX)
@DisplayName("nginx 1.22 accepts every configuration the renderer makes")
class NginxConfigIT {

  @TempDir Path dir;
  FederationPki pki;

  @BeforeEach
  void pki() {
    pki = FederationPki.create(dir.resolve("pki"), "job1");
  }

  NginxIngressConfig.Builder builder(Ingress ingress, Path prefix) {
    return NginxIngressConfig.builder(prefix, FreePorts.next()).ingress(ingress)
        .backend(pki.serverName(), "127.0.0.1:50051").secret("flotilla/job1-tls", pki.server())
        .secret(ServerIngress.ingressClientSecret(FederationPki.DOMAIN), pki.ingress("ingress-nginx"));
  }

  void check(String name, NginxIngressConfig config) throws IOException {
    Path prefix = dir.resolve(name);
    Files.createDirectories(prefix.resolve("logs"));
    Files.createDirectories(prefix.resolve("temp"));
    Files.writeString(prefix.resolve("nginx.conf"), config.render());
    NginxProcess.check(prefix);
  }

  @Test
  @DisplayName("passthrough, terminate (the controller's: client verification and a TLS backend), terminate with "
      + "other secrets, and both modes together")
  void everyVariantPassesNginxCheck() throws IOException {
    Ingress passthrough = ServerIngress.forJob("job1", FederationPki.DOMAIN, TlsMode.PASSTHROUGH, 50051);
    Ingress terminate = ServerIngress.forJob("job1", FederationPki.DOMAIN, TlsMode.TERMINATE, 50051);
    check("passthrough", builder(passthrough, dir.resolve("passthrough")).build());
    check("terminate", builder(terminate, dir.resolve("terminate")).build());

    Ingress secured = new IngressBuilder(terminate).editMetadata()
        .addToAnnotations(NginxAnnotations.BACKEND_PROTOCOL, "GRPCS")
        .addToAnnotations(NginxAnnotations.PROXY_SSL_SECRET, "flotilla/ingress-client")
        .addToAnnotations(NginxAnnotations.AUTH_TLS_SECRET, "flotilla/ca")
        .addToAnnotations(NginxAnnotations.AUTH_TLS_PASS_CERTIFICATE, "true")
        .endMetadata().build();
    TlsPaths ca = new TlsPaths(pki.caCertificate(), pki.caCertificate(), pki.caCertificate());
    check("secured", builder(secured, dir.resolve("secured")).secret("flotilla/ingress-client", pki.ingress("ingress"))
        .secret("flotilla/ca", ca).build());

    Ingress other = ServerIngress.forJob("job2", FederationPki.DOMAIN, TlsMode.TERMINATE, 50052);
    check("mixed", builder(passthrough, dir.resolve("mixed")).ingress(other)
        .backend("job2.server." + FederationPki.DOMAIN, "127.0.0.1:50052").secret("flotilla/job2-tls", pki.server())
        .internalHttpsPort(FreePorts.next()).build());
  }

  @Test
  @DisplayName("a configuration nginx refuses is reported with nginx's own words")
  void refusedConfigurationIsReported() throws IOException {
    Path prefix = dir.resolve("broken");
    Files.createDirectories(prefix.resolve("logs"));
    Files.writeString(prefix.resolve("nginx.conf"), "events {}\nstream { server { listen 127.0.0.1:1; proxy_pass; } }\n");
    assertThatThrownBy(() -> NginxProcess.check(prefix)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("nginx refused the rendered configuration").hasMessageContaining("nginx.conf");
  }

  @Test
  @DisplayName("a started nginx listens on its loopback port (the only listen line) and is gone after close")
  void startsAndStops() throws IOException {
    int port = FreePorts.next();
    Ingress passthrough = ServerIngress.forJob("job1", FederationPki.DOMAIN, TlsMode.PASSTHROUGH, 50051);
    String config = NginxIngressConfig.builder(dir.resolve("run"), port).ingress(passthrough)
        .backend(pki.serverName(), "127.0.0.1:50051").build().render();
    NginxProcess nginx = NginxProcess.start(dir.resolve("run"), config, port, Duration.ofSeconds(20));
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
    } finally {
      nginx.close();
    }
    assertThat(nginx.isAlive()).isFalse();
    assertThat(Files.readString(dir.resolve("run/nginx.conf")).lines().filter(l -> l.trim().startsWith("listen ")))
        .containsExactly("    listen 127.0.0.1:" + port + ";");
  }

  @Test
  @DisplayName("a reload swaps the routes of a running nginx (same process, the new host served), and a refused "
      + "configuration leaves the running one in place")
  void reloadSwapsRoutes() throws IOException {
    int port = FreePorts.next();
    Path prefix = dir.resolve("reload");
    Ingress job1 = ServerIngress.forJob("job1", FederationPki.DOMAIN, TlsMode.PASSTHROUGH, 50051);
    Ingress job2 = ServerIngress.forJob("job2", FederationPki.DOMAIN, TlsMode.PASSTHROUGH, 50052);
    String job2Host = "job2.server." + FederationPki.DOMAIN;
    try (NginxProcess nginx = NginxProcess.start(prefix, NginxIngressConfig.builder(prefix, port).ingress(job1)
        .backend(pki.serverName(), "127.0.0.1:50051").build().render(), port, Duration.ofSeconds(20))) {
      long pid = nginx.pid();
      String both = NginxIngressConfig.builder(prefix, port).ingress(job1).ingress(job2)
          .backend(pki.serverName(), "127.0.0.1:50051").backend(job2Host, "127.0.0.1:50052").build().render();
      nginx.reload(both, Duration.ofSeconds(20));
      assertThat(nginx.pid()).isEqualTo(pid);
      assertThat(nginx.isAlive()).isTrue();
      assertThat(Files.readString(prefix.resolve("nginx.conf"))).contains(job2Host + " 127.0.0.1:50052;");
      assertThat(nginx.errorLog()).contains("reconfiguring");

      assertThatThrownBy(() -> nginx.reload("events {}\nstream { server { listen 127.0.0.1:1; proxy_pass; } }\n",
          Duration.ofSeconds(20))).hasMessageContaining("nginx refused the rendered configuration");
      assertThat(Files.readString(prefix.resolve("nginx.conf"))).isEqualTo(both);
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      }
    }
  }
}
