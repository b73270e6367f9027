package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.ControllerMain;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller as a process, talking to a real kube-apiserver through a TCP relay the test can
 * cut: {@code /readyz} says leader and ready while the API server answers and not ready (naming
 * why) once it does not; {@code --namespace=a,b} reconciles jobs in both and none elsewhere.
 */
@DisplayName("the controller as a process: /readyz follows the API server and the Lease; --namespace with several namespaces")
class ControllerReadinessIT extends OnKubeApiServer {

  @TempDir Path dir;

  private Process process;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void stop() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    }
  }

  private HttpResponse<String> readyz(int port) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).timeout(Duration.ofSeconds(8)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("--namespace=multi-a,multi-b: jobs in both get their Service, one in multi-c nothing; /readyz 200 'ready: leader' "
      + "while the API server answers, 503 naming the unreachable API server once the relay to it is cut")
  void readinessAndNamespaces() throws Exception {
    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build()) {
      KubeApi.installCrd(admin);
      for (String ns : List.of("multi-a", "multi-b", "multi-c", "flotilla-system")) {
        KubeApi.namespace(admin, ns);
      }
      URI api = URI.create(Config.fromKubeconfig(kubeConfigYaml).getMasterUrl());
      try (TcpRelay relay = new TcpRelay(new InetSocketAddress("127.0.0.1", api.getPort()))) {
        String url = api.toString().replaceAll("/$", "");
        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), kubeConfigYaml.replace(url, "https://127.0.0.1:" + relay.port()));
        int health = FreePorts.next();
        process = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
            System.getProperty("java.class.path"), ControllerMain.class.getName(), "--kubeconfig", kubeconfig.toString(),
            "--namespace=multi-a,multi-b", "--controller-namespace", "flotilla-system", "--ingress-address", "172.31.164.52",
            "--health-port", Integer.toString(health), "--resync", "10m")
            .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();

        await("/readyz says leader and ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
            .ignoreExceptions().untilAsserted(() -> {
              HttpResponse<String> r = readyz(health);
              assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
              assertThat(r.body()).isEqualTo("ready: leader; API server reachable; informers synced\n");
            });

        for (String ns : List.of("multi-a", "multi-b", "multi-c")) {
          KubeApi.createSample(admin, "iflearner/iflearnerjob-server.yaml", ns);
        }
        await("the Service of the job in multi-a and in multi-b").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          assertThat(admin.services().inNamespace("multi-a").withName("iflearnerjob-server").get()).isNotNull();
          assertThat(admin.services().inNamespace("multi-b").withName("iflearnerjob-server").get()).isNotNull();
        });
        assertThat(admin.services().inNamespace("multi-c").list().getItems()).as("nothing made in an unwatched namespace").isEmpty();
        assertThat(admin.genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace("multi-c")
            .withName("iflearnerjob-server").get().getAdditionalProperties().get("status")).as("no status in multi-c").isNull();

        relay.close();
        await("/readyz says the API server is unreachable").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
            .ignoreExceptions().untilAsserted(() -> {
              HttpResponse<String> r = readyz(health);
              assertThat(r.statusCode()).isEqualTo(503);
              assertThat(r.body()).startsWith("not ready: cannot reach the API server at https://127.0.0.1:" + relay.port());
            });
      }
    }
  }
}
