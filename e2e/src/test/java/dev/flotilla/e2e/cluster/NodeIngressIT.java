package dev.flotilla.e2e.cluster;

import static dev.flotilla.testing.RealServer.KUBE_API_SERVER;
import static dev.flotilla.testing.RealServer.NGINX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.demo.FederationPki;
import dev.flotilla.demo.TlsPaths;
import dev.flotilla.demo.ingress.ServerIngress;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.OnKubeApiServer;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRealServers({KUBE_API_SERVER, NGINX})
@DisplayName("The node's ingress (Debian nginx from Ingress objects) against a real kube-apiserver")
class NodeIngressIT extends OnKubeApiServer {

  static final String DOMAIN = "fl.example.org";
  static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  @DisplayName("routes each passthrough Ingress of class nginx to its Service's ClusterIP, publishes its address in the "
      + "Ingress status, reloads for a new job, drops a deleted one, and serves a terminate-mode Ingress once the Secrets it names exist "
      + "(written as 0600 files)")
  void servesTheControllersIngresses(@TempDir Path dir) throws Exception {
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build()) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ServerIngress.NAMESPACE).endMetadata()
          .build()).create();
      Service job1 = createJob(client, "job1", TlsMode.PASSTHROUGH, 8443);
      int port = FreePorts.next();
      try (NodeIngress ingress = NodeIngress.start(client, "127.0.0.1", port, dir.resolve("nginx"))) {
        String host1 = "job1.server." + DOMAIN;
        await("job1 routed").atMost(WAIT).until(() -> ingress.routes().size() == 1);
        assertThat(ingress.routes()).containsExactly(java.util.Map.entry(host1, job1.getSpec().getClusterIP() + ":8443"));
        await("job1's Ingress status").atMost(WAIT).until(() -> statusIp(client, "job1") != null);
        assertThat(statusIp(client, "job1")).isEqualTo("127.0.0.1");
        assertThat(Files.readString(dir.resolve("nginx/nginx.conf")))
            .contains("listen 127.0.0.1:" + port + ";", host1 + " " + job1.getSpec().getClusterIP() + ":8443;");
        long pid = ingress.nginx().pid();

        Service job2 = createJob(client, "job2", TlsMode.PASSTHROUGH, 9443);
        Service legacy = createJob(client, "legacy", TlsMode.TERMINATE, 50051);
        await("job2 routed").atMost(WAIT).until(() -> ingress.routes().size() == 2);
        assertThat(ingress.routes()).containsEntry("job2.server." + DOMAIN, job2.getSpec().getClusterIP() + ":9443");
        assertThat(ingress.nginx().pid()).as("reloaded, not restarted").isEqualTo(pid);
        assertThat(ingress.nginx().errorLog()).contains("reconfiguring");
        assertThat(statusIp(client, "legacy")).as("terminate mode waits for the Secrets it names").isNull();

        // the Secrets the terminate Ingress names: the job's certificate (and CA), the ingress's client certificate
        FederationPki pki = FederationPki.create(dir.resolve("pki"), "legacy");
        createTlsSecret(client, "legacy-tls", pki.server());
        createTlsSecret(client, ServerIngress.ingressClientSecret(DOMAIN).split("/")[1], pki.ingress("ingress-nginx"));
        String legacyHost = "legacy.server." + DOMAIN;
        await("legacy routed").atMost(Duration.ofSeconds(60)).until(() -> ingress.routes().containsKey(legacyHost));
        assertThat(ingress.routes()).containsEntry(legacyHost, legacy.getSpec().getClusterIP() + ":50051");
        await("legacy's Ingress status").atMost(WAIT).until(() -> statusIp(client, "legacy") != null);
        Path keyFile = dir.resolve("nginx/secrets").resolve(ServerIngress.NAMESPACE).resolve("legacy-tls/tls.key");
        assertThat(Files.readString(dir.resolve("nginx/nginx.conf")))
            .contains("server_name " + legacyHost + ";", "ssl_certificate_key " + keyFile + ";",
                "grpc_pass grpcs://" + legacy.getSpec().getClusterIP() + ":50051;");
        assertThat(Files.readAllBytes(keyFile)).isEqualTo(Files.readAllBytes(pki.server().privateKey()));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");

        client.network().v1().ingresses().inNamespace(ServerIngress.NAMESPACE).withName("job1").delete();
        await("job1 dropped").atMost(WAIT).until(() -> !ingress.routes().containsKey(host1));
        assertThat(ingress.routes()).containsOnlyKeys("job2.server." + DOMAIN, legacyHost);
        assertThat(Files.readString(dir.resolve("nginx/nginx.conf"))).doesNotContain(host1);
      }
    }
  }

  /** The controller's Service and Ingress for a server job (ClusterIP allocated by the API server). */
  static Service createJob(KubernetesClient client, String job, TlsMode mode, int port) {
    Ingress ingress = ServerIngress.forJob(job, DOMAIN, mode, port);
    Service service = client.services().inNamespace(ServerIngress.NAMESPACE).resource(new ServiceBuilder()
        .withNewMetadata().withName(ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend()
            .getService().getName()).endMetadata()
        .withNewSpec().addNewPort().withName("grpc").withPort(port).endPort()
        .addToSelector("app.kubernetes.io/instance", job).endSpec().build()).create();
    client.network().v1().ingresses().inNamespace(ServerIngress.NAMESPACE).resource(ingress).create();
    return service;
  }

  static void createTlsSecret(KubernetesClient client, String name, TlsPaths files) throws java.io.IOException {
    client.secrets().inNamespace(ServerIngress.NAMESPACE).resource(new SecretBuilder().withNewMetadata().withName(name)
        .endMetadata().withType("kubernetes.io/tls")
        .addToData("tls.crt", Base64.getEncoder().encodeToString(Files.readAllBytes(files.certificate())))
        .addToData("tls.key", Base64.getEncoder().encodeToString(Files.readAllBytes(files.privateKey())))
        .addToData("ca.crt", Base64.getEncoder().encodeToString(Files.readAllBytes(files.trustedCa()))).build()).create();
  }

  static String statusIp(KubernetesClient client, String name) {
    Ingress i = client.network().v1().ingresses().inNamespace(ServerIngress.NAMESPACE).withName(name).get();
    return i.getStatus() == null || i.getStatus().getLoadBalancer() == null || i.getStatus().getLoadBalancer().getIngress() == null
        || i.getStatus().getLoadBalancer().getIngress().isEmpty() ? null : i.getStatus().getLoadBalancer().getIngress().get(0).getIp();
  }
}
