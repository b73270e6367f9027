package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.testing.KubeadmCorefile;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * Set-up shared by the tests on a real API server: the generated CRD, namespaces, the CoreDNS
 * ConfigMap, the shipped overlays and the controller they deploy.
 */
final class KubeApi {

  /** kubeadm's Corefile, as a fresh cluster has it. */
  static final String KUBEADM_COREFILE = KubeadmCorefile.TEXT;

  private KubeApi() {}

  static Path generatedCrd() {
    return Samples.repoRoot().resolve("config/crd/iflearnerjobs.git.iflytek.com-v1.yml");
  }

  /**
   * Installs the CRDs the build generates into config/crd (IflearnerJob and Federation, as a user
   * installing config/crd gets them) and waits until the API server serves them.
   */
  static void installCrd(KubernetesClient client) {
    for (Path file : List.of(generatedCrd(), generatedCrd().resolveSibling("federations.flotilla.dev-v1.yml"))) {
      CustomResourceDefinition crd = Serialization.unmarshal(read(file), CustomResourceDefinition.class);
      client.apiextensions().v1().customResourceDefinitions().resource(crd).serverSideApply();
      await("CRD established").atMost(Duration.ofSeconds(60)).until(() -> {
        CustomResourceDefinition c = client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get();
        return c.getStatus() != null && c.getStatus().getConditions() != null && c.getStatus().getConditions().stream()
            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus()));
      });
    }
  }

  /** The Gateway API CRDs the controller's TLSRoute classes are generated from (vendored from upstream, see their header). */
  static List<Path> gatewayApiCrds() {
    Path dir = Samples.repoRoot().resolve("controller/src/main/crd/gateway-api");
    return List.of(dir.resolve("gateway.networking.k8s.io_tlsroutes.yaml"), dir.resolve("gateway.networking.k8s.io_gateways.yaml"));
  }

  /**
   * Installs the vendored TLSRoute and Gateway CRDs (Gateway API standard channel) and waits until
   * both are served. Two things this tier's kube-apiserver 1.20 cannot take are taken out first:
   * the CEL rules ({@code x-kubernetes-validations}; CEL validation came in 1.25) and empty-string
   * defaults ({@code default: ""}, backendRefs' group: 1.20 reads an empty string in a schema or an
   * applied object as null and refuses it; the API means the core group when the field is absent,
   * and the controller leaves it out). So here the OpenAPI schema (types, patterns, lengths,
   * bounds, required fields, enums and the other defaults) is enforced, and the CEL rules are not.
   */
  static void installGatewayApiCrds(KubernetesClient client) {
    installVendoredCrds(client, gatewayApiCrds());
  }

  /** The Karmada and OCM CRDs of {@code --placement} (vendored from upstream: SOURCES.md beside them). */
  static List<Path> placementCrds() {
    Path dir = Samples.repoRoot().resolve("controller/src/test/resources/crd/placement");
    return List.of(dir.resolve("policy.karmada.io_propagationpolicies.yaml"),
        dir.resolve("work.karmada.io_resourcebindings.yaml"),
        dir.resolve("cluster.open-cluster-management.io_placements.yaml"),
        dir.resolve("cluster.open-cluster-management.io_placementdecisions.yaml"),
        dir.resolve("work.open-cluster-management.io_manifestworks.yaml"));
  }

  /** Installs upstream CRDs as 1.20 can take them (see {@link #installGatewayApiCrds}) and waits until each is served. */
  static void installVendoredCrds(KubernetesClient client, List<Path> files) {
    for (Path file : files) {
      com.fasterxml.jackson.databind.JsonNode tree = Serialization.unmarshal(read(file), com.fasterxml.jackson.databind.JsonNode.class);
      withoutWhat120Refuses(tree);
      // untyped: fabric8's JSONSchemaProps turns the schema's `default: ""` into null, which the API server refuses
      GenericKubernetesResource crd = Serialization.jsonMapper().convertValue(tree, GenericKubernetesResource.class);
      if (client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get() == null) {
        client.resource(crd).create();
      }
      await(crd.getMetadata().getName() + " established").atMost(Duration.ofSeconds(60)).until(() -> {
        CustomResourceDefinition c = client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get();
        return c.getStatus() != null && c.getStatus().getConditions() != null && c.getStatus().getConditions().stream()
            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus()));
      });
    }
  }

  private static void withoutWhat120Refuses(com.fasterxml.jackson.databind.JsonNode node) {
    if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
      object.remove("x-kubernetes-validations");
      if (object.path("default").isTextual() && object.get("default").asText().isEmpty()) {
        object.remove("default");
      }
    }
    node.forEach(KubeApi::withoutWhat120Refuses);
  }

  static void namespace(KubernetesClient client, String name) {
    if (client.namespaces().withName(name).get() == null) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
          .addToLabels("kubernetes.io/metadata.name", name).endMetadata().build()).create();
    }
  }

  static void coreDnsConfigMap(KubernetesClient client) {
    await("namespace kube-system").atMost(Duration.ofSeconds(60)).until(() -> client.namespaces().withName("kube-system").get() != null);
    client.configMaps().inNamespace("kube-system").resource(new ConfigMapBuilder()
        .withNewMetadata().withName("coredns").withNamespace("kube-system").endMetadata()
        .addToData("Corefile", KUBEADM_COREFILE).build()).serverSideApply();
  }

  static String corefile(KubernetesClient client) {
    return client.configMaps().inNamespace("kube-system").withName("coredns").get().getData().get("Corefile");
  }

  /** The sample's YAML exactly as shipped, created as an untyped object so nothing in Java reshapes it. */
  static GenericKubernetesResource createSample(KubernetesClient client, String file, String namespace) {
    GenericKubernetesResource r = Serialization.unmarshal(read(Samples.sample(file)), GenericKubernetesResource.class);
    return client.genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace(namespace).resource(r).create();
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The objects a kustomization directory reaches through its {@code resources} (files and
   * directories, recursively), in order. The shipped kustomizations use nothing but
   * {@code resources}, so this is exactly what {@code kubectl apply -k} applies.
   */
  @SuppressWarnings("unchecked")
  static List<Path> kustomizationFiles(Path dir) {
    List<Path> out = new java.util.ArrayList<>();
    Path k = dir.resolve("kustomization.yaml");
    if (!Files.isRegularFile(k)) {
      throw new IllegalStateException("no kustomization.yaml in " + dir);
    }
    Map<String, Object> kustomization = Serialization.unmarshal(read(k), Map.class);
    if (!java.util.Set.of("resources").containsAll(kustomization.keySet())) {
      throw new IllegalStateException(k + " uses more than resources: " + kustomization.keySet());
    }
    for (String r : (List<String>) kustomization.get("resources")) {
      Path p = dir.resolve(r).normalize();
      if (Files.isDirectory(p)) {
        out.addAll(kustomizationFiles(p));
      } else if (Files.isRegularFile(p)) {
        out.add(p);
      } else {
        throw new IllegalStateException(r + " listed in " + k + " does not exist");
      }
    }
    return out;
  }

  /** Creates (server-side apply) every object a kustomization reaches, as {@code kubectl apply -k} would. */
  static List<HasMetadata> applyKustomization(KubernetesClient client, Path dir) {
    List<HasMetadata> all = new java.util.ArrayList<>();
    for (Path file : kustomizationFiles(dir)) {
      all.addAll(loadAll(file));
    }
    // namespaces and CRDs first: the rest may live in them or be of their kinds; Gateway API's CRDs are a
    // prerequisite the user installs (config/gateway's README line), so they are installed here as well
    if (all.stream().anyMatch(o -> o.getApiVersion().startsWith("gateway.networking.k8s.io/"))) {
      installGatewayApiCrds(client);
    }
    all.stream().filter(o -> o instanceof io.fabric8.kubernetes.api.model.Namespace).forEach(o -> namespace(client, o.getMetadata().getName()));
    all.stream().filter(o -> o instanceof CustomResourceDefinition).forEach(o -> installCrd(client));
    for (HasMetadata o : all) {
      if (!(o instanceof io.fabric8.kubernetes.api.model.Namespace) && !(o instanceof CustomResourceDefinition)) {
        client.resource(o).fieldManager("kubectl").forceConflicts().serverSideApply();
      }
    }
    return all;
  }

  /**
   * A client that authenticates as a ServiceAccount with a token the API server issued for it
   * (TokenRequest), the way the controller's pod does: every request is authorised by RBAC as
   * {@code system:serviceaccount:<namespace>:<name>}.
   */
  static KubernetesClient serviceAccountClient(KubernetesClient admin, String kubeConfigYaml, String namespace, String name) {
    io.fabric8.kubernetes.api.model.authentication.TokenRequest request = admin.serviceAccounts().inNamespace(namespace)
        .withName(name).tokenRequest(new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder()
            .withNewSpec().withExpirationSeconds(3600L).endSpec().build());
    io.fabric8.kubernetes.client.Config base = io.fabric8.kubernetes.client.Config.fromKubeconfig(kubeConfigYaml);
    io.fabric8.kubernetes.client.Config config = new io.fabric8.kubernetes.client.ConfigBuilder(base)
        .withClientCertData(null).withClientKeyData(null).withClientCertFile(null).withClientKeyFile(null)
        .withOauthToken(request.getStatus().getToken())
        .build();
    return new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(config).build();
  }

  /**
   * The configuration of the controller as an overlay deploys it: the Deployment's container args,
   * with {@code $(FLOTILLA_WATCH)} taken from the overlay's ConfigMap, its namespace as
   * POD_NAMESPACE would give it, and {@code extraArgs} appended.
   */
  static ControllerConfig shippedConfig(Path overlay, String... extraArgs) {
    List<HasMetadata> objects = new java.util.ArrayList<>();
    kustomizationFiles(overlay).forEach(f -> objects.addAll(loadAll(f)));
    io.fabric8.kubernetes.api.model.apps.Deployment deployment = objects.stream()
        .filter(io.fabric8.kubernetes.api.model.apps.Deployment.class::isInstance)
        .map(io.fabric8.kubernetes.api.model.apps.Deployment.class::cast).findFirst().orElseThrow();
    Map<String, String> values = objects.stream().filter(io.fabric8.kubernetes.api.model.ConfigMap.class::isInstance)
        .map(io.fabric8.kubernetes.api.model.ConfigMap.class::cast)
        .filter(c -> c.getMetadata().getName().equals("flotilla-controller-watch")).findFirst().orElseThrow()
        .getData();
    return configOf(deployment, values, extraArgs);
  }

  /**
   * The configuration of the controller as installed in the API server (by Helm, say): the Deployment
   * {@code flotilla-controller} and ConfigMap {@code flotilla-controller-watch} of {@code namespace}.
   */
  static ControllerConfig installedConfig(KubernetesClient client, String namespace, String... extraArgs) {
    io.fabric8.kubernetes.api.model.apps.Deployment deployment = client.apps().deployments().inNamespace(namespace)
        .withName("flotilla-controller").require();
    Map<String, String> values = client.configMaps().inNamespace(namespace).withName("flotilla-controller-watch")
        .require().getData();
    return configOf(deployment, values, extraArgs);
  }

  private static ControllerConfig configOf(io.fabric8.kubernetes.api.model.apps.Deployment deployment,
      Map<String, String> values, String... extraArgs) {
    List<String> args = new java.util.ArrayList<>();
    for (String a : deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()) {
      args.add(a.replace("$(FLOTILLA_WATCH)", values.get("watch")).replace("$(FLOTILLA_HOSTS)", values.get("hosts")));
    }
    if (values.containsKey("gateway")) {
      // what the Deployment's env FLOTILLA_GATEWAY gives --gateway as its default
      args.add("--gateway=" + values.get("gateway"));
    }
    args.addAll(List.of(extraArgs));
    return dev.flotilla.controller.ControllerMain.configOf(deployment.getMetadata().getNamespace(), args.toArray(String[]::new));
  }

  /** A namespace holding a Secret db-password that no controller may read. */
  static void namespaceWithSecret(KubernetesClient client, String name) {
    namespace(client, name);
    client.secrets().inNamespace(name).resource(new SecretBuilder().withNewMetadata().withName("db-password").endMetadata()
        .addToStringData("password", "hunter2").build()).create();
  }

  /** Asserts the API server refuses {@code call} (HTTP 403) to the ServiceAccount of a {@link ShippedDeployment}. */
  static void assertForbidden(ThrowingCallable call, String what) {
    assertThatThrownBy(call).as(what).isInstanceOfSatisfying(KubernetesClientException.class, e -> {
      assertThat(e.getCode()).as(what + ": HTTP status").isEqualTo(403);
      assertThat(e.getMessage()).contains("system:serviceaccount:" + ShippedDeployment.NAMESPACE + ":"
          + ShippedDeployment.SERVICE_ACCOUNT);
    });
  }

  /**
   * A shipped overlay of config/ applied by an admin, as {@code kubectl apply -k} would (after
   * kubeadm's CoreDNS ConfigMap), and then the controller it deploys, running as its ServiceAccount
   * with a token the API server issued: every request the controller makes is authorised by the
   * shipped RBAC.
   */
  static final class ShippedDeployment implements AutoCloseable {
    /** The controller's namespace and ServiceAccount, as config/manager and config/rbac ship them. */
    static final String NAMESPACE = "flotilla-system";
    static final String SERVICE_ACCOUNT = "flotilla-controller";

    /** A cluster admin. */
    final KubernetesClient admin;
    private final String kubeConfigYaml;
    private final Path overlay;
    private KubernetesClient asController;
    private Controller controller;

    /** Applies {@code overlay} (relative to the repository root, e.g. config/default) as an admin. */
    ShippedDeployment(String kubeConfigYaml, String overlay) {
      this.kubeConfigYaml = kubeConfigYaml;
      this.overlay = Samples.repoRoot().resolve(overlay);
      this.admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
      try {
        coreDnsConfigMap(admin);
        applyKustomization(admin, this.overlay);
      } catch (RuntimeException e) {
        admin.close();
        throw e;
      }
    }

    /**
     * Starts the controller as its ServiceAccount, configured as the overlay deploys it with
     * {@code extraArgs} appended ({@link KubeApi#shippedConfig}); returns that configuration.
     */
    ControllerConfig startController(String... extraArgs) {
      ControllerConfig config = shippedConfig(overlay, extraArgs);
      asController = serviceAccountClient(admin, kubeConfigYaml, NAMESPACE, SERVICE_ACCOUNT);
      controller = new Controller(asController, config, new ControllerMetrics(new PrometheusRegistry()));
      controller.start();
      return config;
    }

    /** A client authenticated as the controller's ServiceAccount (after {@link #startController}). */
    KubernetesClient asController() {
      return asController;
    }

    @Override
    public void close() {
      if (controller != null) {
        controller.close();
      }
      if (asController != null) {
        asController.close();
      }
      admin.close();
    }
  }

  static List<HasMetadata> loadAll(Path file) {
    Object parsed = Serialization.unmarshal(read(file));
    if (parsed instanceof List<?> list) {
      return list.stream().map(HasMetadata.class::cast).toList();
    }
    if (parsed instanceof io.fabric8.kubernetes.api.model.KubernetesList list) {
      return list.getItems();
    }
    return List.of((HasMetadata) parsed);
  }
}
