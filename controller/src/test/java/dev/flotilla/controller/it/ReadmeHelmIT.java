package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.chart.FlotillaChart;
import dev.flotilla.testing.OnKubeApiServer;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Helm block ("Deploying on Kubernetes", second block), run as written on a real kube-apiserver. */
@RequiresRealServers({RealServer.KUBE_API_SERVER, RealServer.KUBECTL_KUSTOMIZE})
@DisplayName("the README's Helm block runs as written on a real kube-apiserver")
class ReadmeHelmIT extends OnKubeApiServer {

  @Test
  @DisplayName("namespace made and labelled restricted, helm install deployed: the CRD, the controller Deployment and the Role in default are there, labelled by the release")
  void helmBlock(@TempDir Path tmp) throws Exception {
    List<String> lines = ReadmeCommands.blocks("## Deploying on Kubernetes").get(1);
    assertThat(lines).anyMatch(l -> l.startsWith("helm install "));
    Path kubeconfig = tmp.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeConfigYaml);
    ReadmeCommands readme = new ReadmeCommands(kubeconfig, kubeConfigYaml);
    for (String line : lines) {
      readme.run(line);
    }
    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build()) {
      assertThat(admin.namespaces().withName(FlotillaChart.NAMESPACE).require().getMetadata().getLabels())
          .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
      assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("iflearnerjobs.git.iflytek.com").get()).isNotNull();
      assertThat(admin.apps().deployments().inNamespace(FlotillaChart.NAMESPACE).withName("flotilla-controller").require()
          .getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "Helm")
          .containsEntry("app.kubernetes.io/instance", FlotillaChart.RELEASE);
      assertThat(admin.rbac().roles().inNamespace("default").withName("flotilla-controller").get()).isNotNull();
    }
  }
}
