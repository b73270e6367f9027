package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import dev.flotilla.controller.chart.FlotillaChart;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * charts/flotilla installed by Helm's own library into a real kube-apiserver, as the chart's README
 * says (namespace flotilla-system made and labelled first), and the controller run with what the
 * release put in the API server: the Deployment's arguments, the ConfigMap's values and the
 * ServiceAccount's token, so each request it makes is authorised by the chart's RBAC.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("helm install charts/flotilla into a real kube-apiserver")
class HelmInstallIT extends OnKubeApiServer {

  static final String NS = FlotillaChart.NAMESPACE;
  static final String CRD = "iflearnerjobs.git.iflytek.com";
  static final Duration WAIT = Duration.ofSeconds(60);

  static KubernetesClient admin;

  @BeforeAll
  static void connect() {
    admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.coreDnsConfigMap(admin);
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS)
        .addToLabels("pod-security.kubernetes.io/enforce", "restricted").endMetadata().build()).create();
  }

  @AfterAll
  static void close() {
    if (admin != null) {
      admin.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("namespace-scoped (default values): the release is deployed, the CRD established, every object the chart renders is in the API server as rendered and labelled by Helm; no ClusterRole")
  void installsNamespaceScoped() {
    Release release = install(Map.of());
    assertThat(release.getStatus()).isEqualTo("deployed");
    assertThat(release.getNamespace()).isEqualTo(NS);
    await("CRD established").atMost(WAIT).until(HelmInstallIT::crdEstablished);
    assertInstalled(FlotillaChart.render());
    assertThat(admin.rbac().clusterRoles().withName("flotilla-controller").get()).isNull();
    assertThat(admin.secrets().inNamespace(NS).withName("sh.helm.release.v1.flotilla.v1").get())
        .as("Helm's release record").isNotNull();
  }

  @Test
  @Order(2)
  @DisplayName("the controller, configured and authorised by what the release installed, reconciles iflearner's server sample in default: Service, Ingress, Pod and certificate Secret")
  void installedControllerReconciles() {
    ControllerConfig config = KubeApi.installedConfig(admin, NS, "--ingress-address=172.31.164.52");
    assertThat(config.scope().namespaces()).containsExactly("default");
    assertThat(config.controllerNamespace()).isEqualTo(NS);
    try (KubernetesClient asController = KubeApi.serviceAccountClient(admin, kubeConfigYaml, NS, "flotilla-controller");
        Controller controller = new Controller(asController, config, new ControllerMetrics(new PrometheusRegistry()))) {
      controller.start();
      KubeApi.createSample(admin, "iflearner/iflearnerjob-server.yaml", "default");
      awaitChildren("default", "iflearnerjob-server");
    }
  }

  @Test
  @Order(3)
  @DisplayName("helm upgrade with watch.namespaces [default, team-a]: a Role and RoleBinding in team-a, the ConfigMap says --namespace=default,team-a, and the Deployment's pod template changes (its checksum), so the pods roll")
  void upgradeAddsANamespace() {
    KubeApi.namespace(admin, "team-a");
    var before = admin.apps().deployments().inNamespace(NS).withName("flotilla-controller").require();
    Release release = new Helm(FlotillaChart.directory()).upgrade().withName(FlotillaChart.RELEASE).withNamespace(NS)
        .withKubeConfigContents(kubeConfigYaml)
        .withValuesFile(FlotillaChart.valuesFile(Map.of("watch", Map.of("namespaces", List.of("default", "team-a"))))).call();
    assertThat(release.getStatus()).isEqualTo("deployed");
    assertThat(release.getRevision()).isEqualTo("2");
    assertThat(admin.rbac().roles().inNamespace("team-a").withName("flotilla-controller").get()).isNotNull();
    assertThat(admin.rbac().roleBindings().inNamespace("team-a").withName("flotilla-controller").get()).isNotNull();
    assertThat(admin.configMaps().inNamespace(NS).withName("flotilla-controller-watch").require().getData())
        .containsEntry("watch", "--namespace=default,team-a");
    var after = admin.apps().deployments().inNamespace(NS).withName("flotilla-controller").require();
    assertThat(after.getMetadata().getGeneration()).isGreaterThan(before.getMetadata().getGeneration());
    assertThat(after.getSpec().getTemplate().getMetadata().getAnnotations().get(FlotillaChart.CHECKSUM_ANNOTATION))
        .isNotEqualTo(before.getSpec().getTemplate().getMetadata().getAnnotations().get(FlotillaChart.CHECKSUM_ANNOTATION));
    assertThat(KubeApi.installedConfig(admin, NS).scope().namespaces()).containsExactly("default", "team-a");
  }

  @Test
  @Order(4)
  @DisplayName("helm uninstall removes every templated object and keeps the CRD (and so the jobs); reinstalled with watch.allNamespaces the ClusterRoles and bindings are in place and the controller reconciles a new job")
  void uninstallThenClusterWide() {
    List<Map<String, Object>> namespaced = FlotillaChart.render(Map.of("watch", Map.of("namespaces", List.of("default", "team-a"))));
    Helm.uninstall(FlotillaChart.RELEASE).withNamespace(NS).withKubeConfigContents(kubeConfigYaml).call();
    await("templated objects deleted").atMost(WAIT).until(() -> namespaced.stream()
        .filter(o -> !"CustomResourceDefinition".equals(o.get("kind"))).allMatch(o -> get(o) == null));
    assertThat(crdEstablished()).as("the CRD outlives the release").isTrue();
    assertThat(admin.genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace("default")
        .withName("iflearnerjob-server").get()).isNotNull();

    Map<String, Object> values = Map.of("watch", Map.of("allNamespaces", true));
    assertThat(install(values).getStatus()).isEqualTo("deployed");
    assertInstalled(FlotillaChart.render(values));
    assertThat(admin.rbac().clusterRoles().withName("flotilla-controller").require().getRules())
        .noneMatch(r -> r.getResources().contains("secrets"));

    ControllerConfig config = KubeApi.installedConfig(admin, NS, "--ingress-address=172.31.164.52");
    assertThat(config.scope().allNamespaces()).isTrue();
    try (KubernetesClient asController = KubeApi.serviceAccountClient(admin, kubeConfigYaml, NS, "flotilla-controller");
        Controller controller = new Controller(asController, config, new ControllerMetrics(new PrometheusRegistry()))) {
      controller.start();
      KubeApi.createSample(admin, "iflearner/iflearnerjob-client1.yaml", "default");
      awaitChildren("default", "iflearnerjob-client1");
    }
  }

  private static Release install(Map<String, Object> values) {
    var install = new Helm(FlotillaChart.directory()).install().withName(FlotillaChart.RELEASE).withNamespace(NS)
        .withKubeConfigContents(kubeConfigYaml);
    if (!values.isEmpty()) {
      install.withValuesFile(FlotillaChart.valuesFile(values));
    }
    return install.call();
  }

  /** Each rendered object exists with what the chart rendered for its labels (Helm's included) and, for the controller, its spec. */
  @SuppressWarnings("unchecked")
  private static void assertInstalled(List<Map<String, Object>> rendered) {
    for (Map<String, Object> o : rendered) {
      GenericKubernetesResource stored = get(o);
      assertThat(stored).as(FlotillaChart.id(o) + " in the API server").isNotNull();
      Map<String, Object> labels = FlotillaChart.map(o, "metadata", "labels");
      assertThat(stored.getMetadata().getLabels() == null ? Map.of() : stored.getMetadata().getLabels())
          .as("labels of " + FlotillaChart.id(o)).containsAllEntriesOf((Map<String, String>) (Map<?, ?>) labels);
      if ("Deployment".equals(o.get("kind"))) {
        Map<String, Object> spec = (Map<String, Object>) stored.getAdditionalProperties().get("spec");
        assertThat(spec).containsEntry("replicas", FlotillaChart.map(o, "spec").get("replicas"));
        assertThat(FlotillaChart.yaml(FlotillaChart.map(spec, "template", "spec").get("containers")))
            .contains("image: \"localhost/flotilla/controller:").contains("$(FLOTILLA_WATCH)");
      }
    }
  }

  private static GenericKubernetesResource get(Map<String, Object> o) {
    Map<String, Object> metadata = FlotillaChart.map(o, "metadata");
    var resources = admin.genericKubernetesResources((String) o.get("apiVersion"), (String) o.get("kind"));
    String namespace = (String) metadata.get("namespace");
    return (namespace == null ? resources.withName((String) metadata.get("name"))
        : resources.inNamespace(namespace).withName((String) metadata.get("name"))).get();
  }

  private static boolean crdEstablished() {
    CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions().withName(CRD).get();
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions().stream()
        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static void awaitChildren(String namespace, String job) {
    await(job + "'s Service, Ingress, Pod and certificate Secret").atMost(WAIT).untilAsserted(() -> {
      assertThat(admin.services().inNamespace(namespace).withName(job).get()).as("Service").isNotNull();
      assertThat(admin.network().v1().ingresses().inNamespace(namespace).withName(job).get()).as("Ingress").isNotNull();
      assertThat(admin.pods().inNamespace(namespace).withName(job).get()).as("Pod").isNotNull();
      assertThat(admin.secrets().inNamespace(namespace).withName(job + "-tls").get()).as("Secret").isNotNull();
    });
  }
}
