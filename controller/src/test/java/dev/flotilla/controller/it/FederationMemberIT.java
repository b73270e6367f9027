package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
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
 * A federation member's controller ({@code --federation-member}) on a real kube-apiserver, following the Federations
 * of its namespace from its informer:
 * <ul>
 *   <li>a party organisation's cluster whose pods resolve the job hosts by hostAliases (no CoreDNS in the pods'
 *       path, as on the single-node tier): the party's server host points at the coordinator's address from the
 *       Federation the cluster holds (its mirror of the coordinator's member list), and an edit of that address
 *       replaces the party's pod with one pointing at the new address, with no edit of the job;</li>
 *   <li>the coordinator's cluster: a Flotilla aggregator's parties file admits the Federation's party members,
 *       follows every edit of the members, and refuses a member claiming a local party job's name.</li>
 * </ul>
 */
@DisplayName("a federation member's controller: party pods follow the coordinator's address, aggregators admit the party members")
class FederationMemberIT extends OnKubeApiServer {
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
        .withIngressAddress(OWN_ADDRESS).withPodHostAliases(true).withFollowFederations(true);
    controller = new Controller(client, config, new ControllerMetrics(new PrometheusRegistry()));
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

  static final String FED_DOMAIN = "fed.example.org";

  @Test
  @DisplayName("the aggregator's parties file: its namespace's party job and the Federation's party members; adding, removing "
      + "and a claimed name change the ConfigMap, and a Federation that is not whole admits nobody")
  void aggregatorAdmitsTheMembers() {
    IflearnerJob server = Samples.load("flotilla-fashion-mnist/server.yaml", NS);
    server.getMetadata().setName("fed-server");
    server.getSpec().setHost("fashion.server." + FED_DOMAIN);
    IflearnerJob local = Samples.load("flotilla-fashion-mnist/party-b.yaml", NS);
    local.getMetadata().setName("fed-party-b");
    local.getSpec().setHost("fashion.b.party." + FED_DOMAIN);
    Federation federation = new Federation();
    federation.setMetadata(new ObjectMetaBuilder().withName("fed").withNamespace(CONTROLLER_NS).build());
    FederationSpec spec = new FederationSpec();
    spec.setDomain(FED_DOMAIN);
    spec.setMembers(new ArrayList<>(List.of(new FederationSpec.Member("coordinator", "coordinator", COORDINATOR, null),
        new FederationSpec.Member("hospital-a", "party", "10.220.0.2", null))));
    federation.setSpec(spec);
    client.resource(federation).create();
    client.resource(local).create();
    client.resource(server).create();
    awaitParties("b\nhospital-a\n");

    editMembers(members -> members.add(new FederationSpec.Member("hospital-c", "party", "10.220.0.4", null)));
    awaitParties("b\nhospital-a\nhospital-c\n");

    editMembers(members -> members.removeIf(m -> m.getName().equals("hospital-a")));
    awaitParties("b\nhospital-c\n");

    editMembers(members -> members.add(new FederationSpec.Member("b", "party", "10.220.0.5", null)));
    awaitParties("hospital-c\n");
    await("the refusal in the job's status and one Warning event").atMost(WAIT).untilAsserted(() -> {
      assertThat(client.resources(IflearnerJob.class).inNamespace(NS).withName("fed-server").get().getStatus().getConditions())
          .anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("PartiesFileReady");
            assertThat(c.getReason()).isEqualTo("FederationMembersRefused");
            assertThat(c.getMessage()).contains("refused: member b of Federation " + CONTROLLER_NS + "/fed and a party job of "
                + "the namespace both claim b");
          });
      assertThat(client.v1().events().inNamespace(NS).list().getItems()).filteredOn(e -> "fed-server".equals(
          e.getInvolvedObject().getName()) && "FederationMembersRefused".equals(e.getReason())).hasSize(1);
    });

    editMembers(members -> members.add(new FederationSpec.Member("rogue", "coordinator", "10.220.0.9", null)));
    awaitParties("b\n");
  }

  static void editMembers(java.util.function.Consumer<List<FederationSpec.Member>> edit) {
    client.resources(Federation.class).inNamespace(CONTROLLER_NS).withName("fed").edit(f -> {
      edit.accept(f.getSpec().getMembers());
      return f;
    });
  }

  static void awaitParties(String expected) {
    await("parties file " + expected.replace('\n', ' ')).atMost(WAIT).untilAsserted(() -> {
      ConfigMap parties = client.configMaps().inNamespace(NS).withName("fed-server-parties").get();
      assertThat(parties).isNotNull();
      assertThat(parties.getData()).containsEntry("parties", expected);
    });
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
