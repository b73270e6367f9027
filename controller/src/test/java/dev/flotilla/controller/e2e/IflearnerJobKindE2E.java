package dev.flotilla.controller.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.dajudge.kindcontainer.KindContainer;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The whole path on a real cluster (kind in Docker): the generated CRD, ingress-nginx from
 * ingress-nginx/deploy.yaml, the controller (run in this JVM against kind's kubeconfig, exactly as
 * {@code bin/flotilla controller --kubeconfig} runs it outside a cluster) and the iflearner server
 * sample. Unlike the *IT tier, here a kubelet runs the pod and ingress-nginx publishes the
 * Ingress address that the DNS records point at. Needs a Docker engine and registry access for
 * the kind, ingress-nginx and iflearner images; reports a skip where there is no Docker engine.
 */
@RequiresRealServers(RealServer.DOCKER_ENGINE)
@DisplayName("IflearnerJob controller on kind with ingress-nginx")
class IflearnerJobKindE2E {

  static KindContainer<?> kind;
  static KubernetesClient client;
  static Controller controller;

  @BeforeAll
  static void cluster() throws Exception {
    kind = new KindContainer<>();
    kind.start();
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kind.getKubeconfig())).build();
    CustomResourceDefinition crd = Serialization.unmarshal(
        Files.readString(Samples.repoRoot().resolve("config/crd/iflearnerjobs.git.iflytek.com-v1.yml")), CustomResourceDefinition.class);
    client.resource(crd).serverSideApply();
    for (HasMetadata o : loadAll(Samples.repoRoot().resolve("ingress-nginx/deploy.yaml"))) {
      client.resource(o).serverSideApply();
    }
    await("ingress-nginx ready").atMost(Duration.ofMinutes(5)).until(() -> {
      var d = client.apps().deployments().inNamespace("ingress-nginx").withName("ingress-nginx-controller").get();
      return d.getStatus() != null && Integer.valueOf(1).equals(d.getStatus().getReadyReplicas());
    });
    controller = new Controller(client, ControllerConfig.defaults().withScope(WatchScope.of("default")), new ControllerMetrics(new PrometheusRegistry()));
    controller.start();
  }

  @AfterAll
  static void teardown() {
    if (controller != null) {
      controller.close();
    }
    if (client != null) {
      client.close();
    }
    if (kind != null) {
      kind.stop();
    }
  }

  @Test
  @DisplayName("the iflearner server sample runs: certificates issued, Ingress admitted by ingress-nginx, CoreDNS record at its address, pod ready")
  void iflearnerServerRuns() throws Exception {
    HasMetadata sample = loadAll(Samples.sample("iflearner/iflearnerjob-server.yaml")).get(0);
    client.resource(sample).inNamespace("default").create();
    await("job ready").atMost(Duration.ofMinutes(10)).untilAsserted(() -> {
      IflearnerJob job = client.resources(IflearnerJob.class).inNamespace("default").withName("iflearnerjob-server").get();
      assertThat(job.getStatus()).isNotNull();
      assertThat(job.getStatus().getConditions()).allSatisfy(c -> assertThat(c.getStatus()).as(c.getType() + ": " + c.getMessage()).isEqualTo("True"));
      assertThat(job.getStatus().getPhase()).isEqualTo("Running");
    });
    Ingress ingress = client.network().v1().ingresses().inNamespace("default").withName("iflearnerjob-server").get();
    String address = ingress.getStatus().getLoadBalancer().getIngress().get(0).getIp();
    assertThat(client.configMaps().inNamespace("kube-system").withName("coredns").get().getData().get("Corefile"))
        .contains("template IN A job1.server.iflearner.com").contains("IN A " + address);
  }

  private static List<HasMetadata> loadAll(Path file) throws Exception {
    Object parsed = Serialization.unmarshal(Files.readString(file));
    if (parsed instanceof List<?> list) {
      return list.stream().map(HasMetadata.class::cast).toList();
    }
    return List.of((HasMetadata) parsed);
  }
}
