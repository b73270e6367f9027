package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.HostAlias;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A party organisation's cluster whose pods resolve the job hosts by hostAliases (no CoreDNS in the pods'
 * path, as on the single-node tier): the party's server host points at the coordinator's address from the
 * Federation the cluster holds (its mirror of the coordinator's member list), and an edit of that address
 * replaces the party's pod with one pointing at the new address, with no edit of the job.
 */
@DisplayName("a party pod's server host follows the coordinator's address in the Federation")
class FederationHostAliasesIT extends OnKubeApiServer {
  static final String NS = "default";
  static final String CONTROLLER_NS = "flotilla-system";
  static final String DOMAIN = "fl.example.org";
  static final String OWN_ADDRESS = "10.220.0.3";
  static final String COORDINATOR = "10.220.0.1";
  static final String MOVED = "10.220.0.7";
  static final String SERVER_HOST = "fashion.server." + DOMAIN;
  static final Duration WAIT = Duration.ofSeconds(120);

  static KubernetesClient client;
  static Controller controller;

  @BeforeAll
  static void start() {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.installCrd(client);
    KubeApi.namespace(client, CONTROLLER_NS);
    CustomResourceDefinition crd = Serialization.unmarshal(KubeApi.read(KubeApi.generatedCrd().resolveSibling(
        "federations.flotilla.dev-v1.yml")), CustomResourceDefinition.class);
    client.apiextensions().v1().customResourceDefinitions().resource(crd).serverSideApply();
    await("Federation CRD served").atMost(WAIT).ignoreExceptions()
        .until(() -> client.resources(Federation.class).inNamespace(CONTROLLER_NS).list() != null);
    await("namespace default").atMost(WAIT).until(() -> client.namespaces().withName(NS).get() != null);
    ControllerConfig config = ControllerConfig.defaults().withScope(WatchScope.of(NS)).withControllerNamespace(CONTROLLER_NS)
        .withIngressAddress(OWN_ADDRESS).withPodHostAliases(true);
    controller = new Controller(client, config, new ControllerMetrics(new PrometheusRegistry())).followingFederations(true);
    controller.start();
  }

  @AfterAll
  static void stop() {
    if (controller != null) {
      controller.close();
    }
    if (client != null) {
      client.close();
    }
  }

  @Test
  @DisplayName("the pod's server host is the coordinator's address; one edit of the Federation replaces the pod with the new one")
  void serverHostFollowsTheFederation() {
    Federation federation = new Federation();
    federation.setMetadata(new ObjectMetaBuilder().withName(DOMAIN).withNamespace(CONTROLLER_NS).build());
    FederationSpec spec = new FederationSpec();
    spec.setDomain(DOMAIN);
    spec.setMembers(new ArrayList<>(List.of(new FederationSpec.Member("coordinator", "coordinator", COORDINATOR, null),
        new FederationSpec.Member("b", "party", OWN_ADDRESS, null))));
    federation.setSpec(spec);
    client.resource(federation).create();
    client.resource(Samples.load("flotilla-fashion-mnist/party-b.yaml", NS)).create();

    await("the party's pod, its server host at the coordinator").atMost(WAIT).untilAsserted(() ->
        assertThat(serverAlias()).isEqualTo(COORDINATOR));
    Pod before = pod();
    assertThat(before.getSpec().getHostAliases()).as("its own host at its own cluster's ingress").anySatisfy(a -> {
      assertThat(a.getIp()).isEqualTo(OWN_ADDRESS);
      assertThat(a.getHostnames()).containsExactly("fashion.b.party." + DOMAIN);
    });

    client.resources(Federation.class).inNamespace(CONTROLLER_NS).withName(DOMAIN).edit(f -> {
      f.getSpec().getMembers().get(0).setAddress(MOVED);
      return f;
    });
    await("a new pod, its server host at the moved coordinator").atMost(WAIT).untilAsserted(() -> {
      assertThat(serverAlias()).isEqualTo(MOVED);
      assertThat(pod().getMetadata().getUid()).isNotEqualTo(before.getMetadata().getUid());
    });
    assertThat(client.v1().events().inNamespace(NS).list().getItems())
        .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("PodReplaced"));
  }

  static Pod pod() {
    return client.pods().inNamespace(NS).withName("fashion-party-b").get();
  }

  /** The address the pod's hostAliases give the server host; null while there is no pod (or no such alias). */
  static String serverAlias() {
    Pod pod = pod();
    if (pod == null || pod.getSpec().getHostAliases() == null) {
      return null;
    }
    return pod.getSpec().getHostAliases().stream().filter(a -> a.getHostnames().contains(SERVER_HOST))
        .map(HostAlias::getIp).findFirst().orElse(null);
  }
}
