package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.flotilla.controller.model.Samples;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

@DisplayName("every shipped manifest (config/, ingress-nginx/) is accepted by a real kube-apiserver")
class ConfigManifestsIT extends OnKubeApiServer {

  static KubernetesClient client;

  @BeforeAll
  static void connect() {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.coreDnsConfigMap(client);
    // CRDs and Namespaces for real first: what the other manifests' dry runs depend on
    KubeApi.installCrd(client);
    KubeApi.installGatewayApiCrds(client);
    for (Path file : manifests()) {
      for (HasMetadata o : KubeApi.loadAll(file)) {
        if (o instanceof Namespace ns) {
          KubeApi.namespace(client, ns.getMetadata().getName());
        }
      }
    }
    // config/rbac/address-from's Role lives beside the Gateway it reads, in a namespace the user already has
    KubeApi.namespace(client, "gateway-system");
  }

  @AfterAll
  static void close() {
    if (client != null) {
      client.close();
    }
  }

  static Path root() {
    return Samples.repoRoot();
  }

  /** Every YAML under config/ and ingress-nginx/, except kustomizations (checked separately). */
  static List<Path> manifests() {
    List<Path> out = new ArrayList<>();
    for (String dir : List.of("config", "ingress-nginx")) {
      try (Stream<Path> files = Files.walk(root().resolve(dir))) {
        files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
            .filter(p -> !p.getFileName().toString().equals("kustomization.yaml"))
            .sorted()
            .forEach(out::add);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  @TestFactory
  @DisplayName("each object of each manifest passes a server-side dry run")
  Stream<DynamicTest> dryRunEveryManifest() {
    assertThat(manifests()).extracting(p -> root().relativize(p).toString())
        .contains("config/crd/iflearnerjobs.git.iflytek.com-v1.yml", "config/samples/iflearner/iflearnerjob-server.yaml",
            "config/samples/flotilla-tabular/model.yaml", "config/samples/flotilla-tabular/party-a.yaml",
            "config/samples/flotilla-fashion-mnist/server.yaml", "config/samples/flotilla-fashion-mnist/party-c.yaml",
            "config/rbac/namespaced/job_role.yaml", "config/rbac/cluster/cluster_role.yaml", "config/manager/manager.yaml",
            "ingress-nginx/deploy.yaml");
    return manifests().stream().map(file -> DynamicTest.dynamicTest(root().relativize(file).toString(), () -> {
      List<HasMetadata> objects = KubeApi.loadAll(file);
      assertThat(objects).as("objects in " + file).isNotEmpty();
      for (HasMetadata o : objects) {
        assertThatCode(() -> dryRun(o)).as(o.getKind() + " " + o.getMetadata().getName() + " in " + file)
            .doesNotThrowAnyException();
      }
    }));
  }

  @Test
  @DisplayName("every kustomization lists resources that exist; config/default (namespace-scoped), config/single-node (the same "
      + "with --pod-host-aliases), config/gateway (the same with the Gateway, the Role reading it and --gateway), config/address-from (the same with "
      + "the Role reading the addressFrom Gateway), config/enroll-endpoint (the enrollment Service and Ingress) and config/cluster-wide "
      + "reach the CRD, their RBAC and the manager, and only the cluster-wide one has a ClusterRole")
  void kustomizationsResolve() {
    List<String> common = List.of("config/crd/iflearnerjobs.git.iflytek.com-v1.yml", "config/rbac/service_account.yaml",
        "config/rbac/ca_role.yaml", "config/rbac/coredns_role.yaml", "config/rbac/leader_election_role.yaml",
        "config/manager/manager.yaml", "config/manager/namespace.yaml");
    List<Path> namespaced = KubeApi.kustomizationFiles(root().resolve("config/default"));
    assertThat(namespaced).extracting(p -> root().relativize(p).toString()).containsAll(common)
        .contains("config/rbac/namespaced/job_role.yaml", "config/default/watch.yaml")
        .noneMatch(p -> p.startsWith("config/rbac/cluster/"));
    assertThat(namespaced.stream().flatMap(p -> KubeApi.loadAll(p).stream()))
        .noneMatch(o -> o.getKind().startsWith("Cluster"));
    List<Path> clusterWide = KubeApi.kustomizationFiles(root().resolve("config/cluster-wide"));
    assertThat(clusterWide).extracting(p -> root().relativize(p).toString()).containsAll(common)
        .contains("config/rbac/cluster/cluster_role.yaml", "config/rbac/cluster/secrets_role.yaml",
            "config/rbac/cluster/secrets_binding.yaml", "config/cluster-wide/watch.yaml")
        .noneMatch(p -> p.startsWith("config/rbac/namespaced/"));
    List<Path> singleNode = KubeApi.kustomizationFiles(root().resolve("config/single-node"));
    assertThat(singleNode).extracting(p -> root().relativize(p).toString()).containsAll(common)
        .contains("config/rbac/namespaced/job_role.yaml", "config/single-node/watch.yaml");
    assertThat(singleNode.stream().flatMap(p -> KubeApi.loadAll(p).stream())).noneMatch(o -> o.getKind().startsWith("Cluster"));
    assertThat(KubeApi.shippedConfig(root().resolve("config/single-node")).podHostAliases()).isTrue();
    assertThat(KubeApi.shippedConfig(root().resolve("config/default")).podHostAliases()).isFalse();
    assertThat(KubeApi.shippedConfig(root().resolve("config/cluster-wide")).podHostAliases()).isFalse();
    List<Path> gateway = KubeApi.kustomizationFiles(root().resolve("config/gateway"));
    assertThat(gateway).extracting(p -> root().relativize(p).toString()).containsAll(common)
        .contains("config/rbac/namespaced/job_role.yaml", "config/rbac/gateway/gateway_role.yaml", "config/gateway/gateway.yaml",
            "config/gateway/watch.yaml");
    assertThat(gateway.stream().flatMap(p -> KubeApi.loadAll(p).stream())).noneMatch(o -> o.getKind().startsWith("Cluster"));
    assertThat(KubeApi.shippedConfig(root().resolve("config/gateway")).gateway().ref()).isEqualTo("flotilla-gateway/flotilla");
    assertThat(KubeApi.shippedConfig(root().resolve("config/default")).gateway()).isNull();
    List<Path> addressFrom = KubeApi.kustomizationFiles(root().resolve("config/address-from"));
    assertThat(addressFrom).extracting(p -> root().relativize(p).toString()).containsAll(common)
        .contains("config/rbac/namespaced/job_role.yaml", "config/default/watch.yaml", "config/rbac/address-from/address_from_role.yaml");
    assertThat(addressFrom.stream().flatMap(p -> KubeApi.loadAll(p).stream())).noneMatch(o -> o.getKind().startsWith("Cluster"));
    assertThat(KubeApi.kustomizationFiles(root().resolve("config/enroll-endpoint"))).extracting(p -> root().relativize(p).toString())
        .containsExactly("config/enroll-endpoint/service.yaml", "config/enroll-endpoint/ingress.yaml");
    Path samples = root().resolve("config/samples");
    assertThat(KubeApi.kustomizationFiles(samples)).extracting(p -> samples.relativize(p).toString())
        .hasSize(12).contains("iflearner/iflearnerjob-server.yaml", "flotilla-fashion-mnist/server.yaml",
            "flotilla-fashion-mnist/party-a.yaml", "flotilla-fashion-mnist/party-b.yaml", "flotilla-fashion-mnist/party-c.yaml",
            "flotilla-tabular/model.yaml", "flotilla-tabular/server.yaml", "flotilla-tabular/data.yaml",
            "flotilla-tabular/party-a.yaml", "flotilla-tabular/party-b.yaml");
    for (Path p : Stream.concat(namespaced.stream(), clusterWide.stream()).toList()) {
      for (HasMetadata o : KubeApi.loadAll(p)) {
        dryRun(o);
      }
    }
  }

  @Test
  @DisplayName("the initial-model ConfigMap sample is stored by the API server with its binaryData byte for byte")
  void initialModelConfigMapRoundTrips() throws IOException {
    Path file = root().resolve("config/samples/flotilla-tabular/model.yaml");
    ConfigMap sample = (ConfigMap) KubeApi.loadAll(file).get(0);
    String namespace = "samples-binary";
    KubeApi.namespace(client, namespace);

    client.resource(sample).inNamespace(namespace).fieldManager("kubectl").forceConflicts().serverSideApply();
    ConfigMap stored = client.configMaps().inNamespace(namespace).withName(sample.getMetadata().getName()).get();

    byte[] expected = Base64.getDecoder().decode(sample.getBinaryData().get("model.safetensors"));
    assertThat(Base64.getDecoder().decode(stored.getBinaryData().get("model.safetensors"))).isEqualTo(expected);
  }

  private static void dryRun(HasMetadata o) {
    if (o instanceof CustomResourceDefinition || o instanceof Namespace) {
      client.resource(o).dryRun().serverSideApply();
      return;
    }
    boolean namespaced = !(o.getKind().startsWith("Cluster") || o.getKind().equals("IngressClass"));
    if (namespaced && o.getMetadata().getNamespace() == null) {
      client.resource(o).inNamespace("default").dryRun().create();
    } else {
      client.resource(o).dryRun().create();
    }
  }
}
