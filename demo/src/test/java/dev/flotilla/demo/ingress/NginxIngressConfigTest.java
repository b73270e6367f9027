package dev.flotilla.demo.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.controller.model.NginxAnnotations;
import dev.flotilla.demo.TlsPaths;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("NginxIngressConfig renders the controller's Ingresses the way ingress-nginx serves them")
class NginxIngressConfigTest {

  static final Path PREFIX = Path.of("/tmp/nginx-prefix");
  static final String HOST = "job1.server.flotilla.local";
  static final TlsPaths JOB_TLS = TlsPaths.inDirectory(Path.of("/pki/server"));
  static final TlsPaths INGRESS_CLIENT = TlsPaths.inDirectory(Path.of("/pki/ingress"));

  static NginxIngressConfig.Builder builder(Ingress ingress) {
    return NginxIngressConfig.builder(PREFIX, 18443).ingress(ingress).backend(HOST, "127.0.0.1:50051")
        .secret("flotilla/job1-tls", JOB_TLS)
        .secret(ServerIngress.ingressClientSecret("flotilla.local"), INGRESS_CLIENT);
  }

  @Nested
  @DisplayName("passthrough mode")
  class Passthrough {
    final Ingress ingress = ServerIngress.forJob("job1", "flotilla.local", TlsMode.PASSTHROUGH, 50051);
    final String conf = builder(ingress).build().render();

    @Test
    @DisplayName("routes the job's host by SNI to its backend in a stream server on loopback, never decrypting")
    void routesBySni() {
      assertThat(ingress.getMetadata().getAnnotations()).containsEntry(NginxAnnotations.SSL_PASSTHROUGH, "true");
      assertThat(conf)
          .contains("load_module /usr/lib/nginx/modules/ngx_stream_module.so;")
          .contains("map $ssl_preread_server_name $flotilla_backend {")
          .contains(HOST + " 127.0.0.1:50051;")
          .contains("listen 127.0.0.1:18443;")
          .contains("ssl_preread on;")
          .contains("proxy_pass $flotilla_backend;")
          .doesNotContain("http {")
          .doesNotContain("ssl_certificate");
    }

    @Test
    @DisplayName("sends names no Ingress serves to a socket nobody listens on, so nginx closes them")
    void unknownNamesClosed() {
      assertThat(conf).contains("default unix:" + PREFIX.resolve("no-ingress-serves-this-name.sock") + ";");
    }

    @Test
    @DisplayName("keeps an idle passed-through stream open for an hour (stream's 10 min default would cut long rounds)")
    void longIdleStreams() {
      assertThat(conf).contains("proxy_timeout 3600s;");
    }

    @Test
    @DisplayName("keeps pid, logs and temporary files inside the prefix directory")
    void filesInPrefix() {
      assertThat(conf).contains("pid /tmp/nginx-prefix/nginx.pid;")
          .contains("error_log /tmp/nginx-prefix/logs/error.log")
          .contains("access_log /tmp/nginx-prefix/logs/stream-access.log flotilla;");
    }
  }

  @Nested
  @DisplayName("terminate mode")
  class Terminate {
    final Ingress ingress = ServerIngress.forJob("job1", "flotilla.local", TlsMode.TERMINATE, 50051);
    final String conf = builder(ingress).build().render();

    @Test
    @DisplayName("ends TLS with the job's secret on an HTTP/2 server for the host and passes gRPC over TLS to the backend")
    void terminatesAndPassesGrpc() {
      assertThat(conf)
          .doesNotContain("stream {").doesNotContain("load_module")
          .contains("listen 127.0.0.1:18443 ssl http2;")
          .contains("server_name " + HOST + ";")
          .contains("ssl_certificate /pki/server/tls.crt;")
          .contains("ssl_certificate_key /pki/server/tls.key;")
          .contains("location / {")
          .contains("grpc_pass grpcs://127.0.0.1:50051;");
    }

    @Test
    @DisplayName("takes body size and timeouts from the controller's annotations (512m, 3600 s, 30 s)")
    void limitsFromAnnotations() {
      assertThat(conf)
          .contains("client_max_body_size " + IngressModel.BODY_SIZE + ";")
          .contains("grpc_read_timeout " + IngressModel.STREAM_TIMEOUT_SECONDS + "s;")
          .contains("grpc_send_timeout " + IngressModel.STREAM_TIMEOUT_SECONDS + "s;")
          .contains("grpc_connect_timeout " + IngressModel.CONNECT_TIMEOUT_SECONDS + "s;");
    }

    @Test
    @DisplayName("falls back to ingress-nginx's defaults (1m, 60 s, 5 s) when the annotations are absent")
    void defaultsWithoutAnnotations() {
      Ingress bare = new IngressBuilder(ingress).editMetadata()
          .removeFromAnnotations(NginxAnnotations.PROXY_BODY_SIZE)
          .removeFromAnnotations(NginxAnnotations.PROXY_READ_TIMEOUT)
          .removeFromAnnotations(NginxAnnotations.PROXY_SEND_TIMEOUT)
          .removeFromAnnotations(NginxAnnotations.PROXY_CONNECT_TIMEOUT)
          .endMetadata().build();
      assertThat(builder(bare).build().render())
          .contains("client_max_body_size 1m;")
          .contains("grpc_read_timeout 60s;")
          .contains("grpc_send_timeout 60s;")
          .contains("grpc_connect_timeout 5s;");
    }

    @Test
    @DisplayName("refuses the handshake for a name no Ingress serves (default server)")
    void rejectsUnknownNames() {
      assertThat(conf).contains("listen 127.0.0.1:18443 ssl http2 default_server;").contains("ssl_reject_handshake on;");
    }

    @Test
    @DisplayName("does not ask for client certificates unless auth-tls-secret says so, as ingress-nginx")
    void noClientCertificatesByDefault() {
      Ingress plain = new IngressBuilder(ingress).editMetadata()
          .removeFromAnnotations(NginxAnnotations.AUTH_TLS_SECRET)
          .removeFromAnnotations(NginxAnnotations.AUTH_TLS_VERIFY_CLIENT)
          .removeFromAnnotations(NginxAnnotations.AUTH_TLS_PASS_CERTIFICATE)
          .endMetadata().build();
      assertThat(builder(plain).build().render()).doesNotContain("ssl_verify_client").doesNotContain("ssl_client_certificate")
          .doesNotContain("ssl-client-cert");
    }

    @Test
    @DisplayName("verifies client certificates against the CA of the controller's auth-tls secret and passes the "
        + "certificate upstream in ssl-client-cert")
    void authTls() {
      assertThat(conf)
          .contains("ssl_client_certificate /pki/server/ca.crt;")
          .contains("ssl_verify_client on;")
          .contains("grpc_set_header ssl-client-cert $ssl_client_escaped_cert;");
    }

    @Test
    @DisplayName("speaks mutual TLS to the backend with the controller's proxy-ssl secret (backend-protocol GRPCS)")
    void grpcsBackend() {
      assertThat(conf)
          .contains("grpc_pass grpcs://127.0.0.1:50051;")
          .contains("grpc_ssl_certificate /pki/ingress/tls.crt;")
          .contains("grpc_ssl_certificate_key /pki/ingress/tls.key;")
          .contains("grpc_ssl_trusted_certificate /pki/ingress/ca.crt;")
          .contains("grpc_ssl_verify on;")
          .contains("grpc_ssl_name " + HOST + ";");
    }

    @Test
    @DisplayName("an iflearner-style Ingress (backend-protocol GRPC) passes plaintext gRPC to the backend")
    void plaintextBackend() {
      Ingress grpc = new IngressBuilder(ingress).editMetadata()
          .addToAnnotations(NginxAnnotations.BACKEND_PROTOCOL, "GRPC")
          .endMetadata().build();
      assertThat(builder(grpc).build().render()).contains("grpc_pass grpc://127.0.0.1:50051;")
          .doesNotContain("grpc_ssl_certificate");
    }
  }

  @Test
  @DisplayName("with both modes, the stream server owns the port and hands other names to the internal HTTPS server")
  void mixedModes() {
    Ingress passthrough = ServerIngress.forJob("job1", "flotilla.local", TlsMode.PASSTHROUGH, 50051);
    Ingress terminate = new IngressBuilder(ServerIngress.forJob("job2", "flotilla.local", TlsMode.TERMINATE, 50052))
        .build();
    NginxIngressConfig.Builder b = builder(passthrough).ingress(terminate)
        .backend("job2.server.flotilla.local", "127.0.0.1:50052").secret("flotilla/job2-tls", JOB_TLS);
    assertThatThrownBy(() -> b.build().render()).hasMessageContaining("internal HTTPS port");
    String conf = b.internalHttpsPort(18444).build().render();
    assertThat(conf).contains("default 127.0.0.1:18444;").contains("listen 127.0.0.1:18444 ssl http2;")
        .contains("listen 127.0.0.1:18443;");
  }

  @Nested
  @DisplayName("refuses what it cannot serve faithfully")
  class Refusals {
    @Test
    @DisplayName("a host without a backend address")
    void noBackend() {
      Ingress ingress = ServerIngress.forJob("job9", "flotilla.local", TlsMode.PASSTHROUGH, 50051);
      assertThatThrownBy(() -> builder(ingress).build().render())
          .hasMessageContaining("Ingress flotilla/job9").hasMessageContaining("no backend address")
          .hasMessageContaining("job9.server.flotilla.local");
    }

    @Test
    @DisplayName("a terminating host whose TLS secret has no files")
    void noSecretFiles() {
      Ingress ingress = ServerIngress.forJob("job1", "flotilla.local", TlsMode.TERMINATE, 50051);
      assertThatThrownBy(() -> NginxIngressConfig.builder(PREFIX, 18443).ingress(ingress)
          .backend(HOST, "127.0.0.1:50051").build().render())
          .hasMessageContaining("no files given for secret job1-tls");
    }

    @Test
    @DisplayName("a body size that is not an nginx size")
    void badBodySize() {
      Ingress ingress = new IngressBuilder(ServerIngress.forJob("job1", "flotilla.local", TlsMode.TERMINATE, 50051))
          .editMetadata().addToAnnotations(NginxAnnotations.PROXY_BODY_SIZE, "512 MiB").endMetadata().build();
      assertThatThrownBy(() -> builder(ingress).build().render()).hasMessageContaining("proxy-body-size '512 MiB'");
    }

    @Test
    @DisplayName("a terminating backend that does not speak gRPC")
    void notGrpc() {
      Ingress ingress = new IngressBuilder(ServerIngress.forJob("job1", "flotilla.local", TlsMode.TERMINATE, 50051))
          .editMetadata().addToAnnotations(NginxAnnotations.BACKEND_PROTOCOL, "HTTP").endMetadata().build();
      assertThatThrownBy(() -> builder(ingress).build().render()).hasMessageContaining("must be GRPC or GRPCS");
    }

    @Test
    @DisplayName("a listen address off loopback")
    void loopbackOnly() {
      assertThatThrownBy(() -> NginxIngressConfig.builder(PREFIX, 18443).listenAddress("0.0.0.0"))
          .hasMessageContaining("loopback only");
    }

    @Test
    @DisplayName("a node address that is the wildcard, a name or not IPv4")
    void nodeAddressIsOneInterface() {
      for (String bad : new String[] {"0.0.0.0", "node1", "10.0.0.256", "::1", "10.0.0"}) {
        assertThatThrownBy(() -> NginxIngressConfig.builder(PREFIX, 18443).nodeAddress(bad))
            .as(bad).hasMessageContaining("one IPv4 address of an interface, not " + bad);
      }
    }
  }

  @Test
  @DisplayName("on a node address, the passthrough server listens there and only there")
  void listensOnNodeAddress() {
    Ingress ingress = ServerIngress.forJob("job1", "flotilla.local", TlsMode.PASSTHROUGH, 50051);
    String conf = NginxIngressConfig.builder(PREFIX, 443).nodeAddress("10.22.0.1").ingress(ingress)
        .backend(HOST, "10.96.0.12:8443").build().render();
    assertThat(conf.lines().map(String::trim).filter(l -> l.startsWith("listen ")))
        .containsExactly("listen 10.22.0.1:443;");
    assertThat(conf).contains(HOST + " 10.96.0.12:8443;");
  }
}
