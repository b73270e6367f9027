package dev.flotilla.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The bench tried on the apiserver tier, with the controller in this JVM, before a node exists. */
@DisplayName("bench reconcile-latency against a real kube-apiserver and an in-process controller")
class ReconcileLatencyIT extends OnKubeApiServer {

  @Test
  @DisplayName("measures every job (children and status seen after its creation) and leaves no job behind")
  void measuresEachJob() throws Exception {
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build()) {
      installCrd(client);
      for (String ns : List.of("bench", "flotilla-system")) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
      }
      client.configMaps().inNamespace("kube-system").resource(new ConfigMapBuilder().withNewMetadata().withName("coredns")
          .endMetadata().addToData("Corefile", ".:53 {\n    forward . /etc/resolv.conf\n}\n").build()).create();
      ControllerConfig config = ControllerConfig.defaults().withScope(WatchScope.of("bench"))
          .withControllerNamespace("flotilla-system").withIngressAddress("10.0.0.1").withResync(Duration.ofMinutes(10));
      try (Controller controller = new Controller(client, config, new ControllerMetrics(new PrometheusRegistry()))) {
        controller.start();
        List<ReconcileLatency.Sample> progress = new ArrayList<>();
        ReconcileLatency.Result result = new ReconcileLatency(client, "bench", Duration.ofSeconds(60))
            .run("it", 5, progress::add);
        assertThat(result.samples()).extracting(ReconcileLatency.Sample::job).containsExactly("it-0", "it-1", "it-2", "it-3", "it-4");
        assertThat(progress).isEqualTo(result.samples());
        assertThat(result.samples()).allSatisfy(s -> {
          assertThat(s.childrenMillis()).isPositive();
          assertThat(s.statusMillis()).isPositive();
        });
        assertThat(result.childrenPercentile(50)).isLessThanOrEqualTo(result.childrenPercentile(99));
        assertThat(client.resources(IflearnerJob.class).inNamespace("bench").list().getItems()).isEmpty();
        System.out.printf("reconcile latency on kube-api-test, 5 jobs: children p50 %s ms p99 %s ms; status p50 %s ms p99 %s ms%n",
            ReconcileLatency.format(result.childrenPercentile(50)), ReconcileLatency.format(result.childrenPercentile(99)),
            ReconcileLatency.format(result.statusPercentile(50)), ReconcileLatency.format(result.statusPercentile(99)));
      }
    }
  }

  static void installCrd(KubernetesClient client) throws Exception {
    Path crd = repoRoot().resolve("config/crd/iflearnerjobs.git.iflytek.com-v1.yml");
    CustomResourceDefinition definition = Serialization.unmarshal(Files.readString(crd), CustomResourceDefinition.class);
    client.apiextensions().v1().customResourceDefinitions().resource(definition).create();
    client.apiextensions().v1().customResourceDefinitions().withName(definition.getMetadata().getName())
        .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions() != null && c.getStatus().getConditions()
            .stream().anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())), 60,
            java.util.concurrent.TimeUnit.SECONDS);
  }

  static Path repoRoot() {
    String fromBuild = System.getenv("FLOTILLA_REPO_ROOT");
    return Path.of(fromBuild != null ? fromBuild : "..").toAbsolutePath().normalize();
  }
}
