package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.testing.OnKubeApiServer;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Deploying on Kubernetes" first block, run line by line as written on a real
 * kube-apiserver (with kubeadm's CoreDNS ConfigMap, as a cluster has). No kubelet runs here, so the
 * controller's pods never start: before the first {@code kubectl get}, the controller runs in this
 * JVM with the arguments and the ServiceAccount token the applied Deployment gives it.
 */
@RequiresRealServers({RealServer.KUBE_API_SERVER, RealServer.KUBECTL_KUSTOMIZE})
@DisplayName("the README's kubectl block runs as written on a real kube-apiserver")
class ReadmeKubernetesIT extends OnKubeApiServer {

  @Test
  @DisplayName("ingress-nginx, config/default and the Fashion-MNIST sample apply; kubectl get iflearnerjobs shows the four jobs with role and phase Pending")
  void kubectlBlock(@TempDir Path tmp) throws Exception {
    List<String> lines = ReadmeCommands.blocks("## Deploying on Kubernetes").get(0);
    assertThat(lines).contains("kubectl apply -k config/default", "kubectl apply -k config/samples/flotilla-fashion-mnist")
        .anyMatch(l -> l.startsWith("kubectl get iflearnerjobs"));
    Path kubeconfig = tmp.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeConfigYaml);
    ReadmeCommands readme = new ReadmeCommands(kubeconfig, kubeConfigYaml);
    List<AutoCloseable> started = new ArrayList<>();
    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build()) {
      KubeApi.coreDnsConfigMap(admin);
      String table = null;
      for (String line : lines) {
        if (line.startsWith("kubectl get iflearnerjobs") && started.isEmpty()) {
          startInstalledController(admin, started);
          await("every job has a phase").atMost(Duration.ofSeconds(60)).until(() -> admin
              .genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace("default").list().getItems()
              .stream().allMatch(j -> phase(j) != null));
        }
        String out = readme.run(line);
        if (line.startsWith("kubectl get iflearnerjobs")) {
          table = out;
        }
      }
      assertThat(admin.apps().deployments().inNamespace("ingress-nginx").withName("ingress-nginx-controller").get()).isNotNull();
      assertThat(admin.apps().deployments().inNamespace("flotilla-system").withName("flotilla-controller").get()).isNotNull();
      List<String> rows = List.of(table.strip().split("\n"));
      assertThat(rows.get(0).split("\\s+")).containsExactly("NAME", "ROLE", "PHASE", "ROUND", "ACCURACY", "AGE");
      assertThat(rows.subList(1, rows.size())).hasSize(4)
          .anyMatch(r -> r.matches("fashion-server\\s+server\\s+Pending\\s+.*"))
          .anyMatch(r -> r.matches("fashion-party-a\\s+client\\s+Pending\\s+.*"))
          .anyMatch(r -> r.matches("fashion-party-b\\s+client\\s+Pending\\s+.*"))
          .anyMatch(r -> r.matches("fashion-party-c\\s+client\\s+Pending\\s+.*"));
    } finally {
      for (int i = started.size() - 1; i >= 0; i--) {
        started.get(i).close();
      }
    }
  }

  private void startInstalledController(KubernetesClient admin, List<AutoCloseable> started) {
    var config = KubeApi.installedConfig(admin, "flotilla-system");
    KubernetesClient asController = KubeApi.serviceAccountClient(admin, kubeConfigYaml, "flotilla-system", "flotilla-controller");
    started.add(asController);
    Controller controller = new Controller(asController, config, new ControllerMetrics(new PrometheusRegistry()));
    started.add(controller);
    controller.start();
  }

  @SuppressWarnings("unchecked")
  private static Object phase(GenericKubernetesResource job) {
    Object status = job.getAdditionalProperties().get("status");
    return status instanceof Map<?, ?> m ? m.get("phase") : null;
  }
}
