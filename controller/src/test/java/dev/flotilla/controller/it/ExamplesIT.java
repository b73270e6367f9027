package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.chart.FlotillaChart;
import dev.flotilla.controller.chart.Kustomize;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.testing.OnKubeApiServer;
import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples test (Strimzi's ExamplesTest, on the real kube-apiserver tier): every sample the
 * repository ships is applied as its README says, with kubectl, to a real API server holding the
 * generated CRD, and every object it names must then be there. A refusal (schema, name, type) fails
 * with kubectl's message. What runs in the pods needs a node: the cluster tier does that.
 */
@RequiresRealServers({RealServer.KUBE_API_SERVER, RealServer.KUBECTL_KUSTOMIZE})
@DisplayName("ExamplesIT: every sample of the repository is accepted by a real kube-apiserver as pasted")
class ExamplesIT extends OnKubeApiServer {

  static final Duration TIMEOUT = Duration.ofSeconds(120);
  static final Pattern YAML_BLOCK = Pattern.compile("(?s)```ya?ml\\n(.*?)```");

  static KubernetesClient client;
  static Path kubeconfig;

  @BeforeAll
  static void connect(@TempDir Path tmp) throws IOException {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.installCrd(client);
    kubeconfig = tmp.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeConfigYaml);
  }

  @AfterAll
  static void close() {
    if (client != null) {
      client.close();
    }
  }

  static Path samples() {
    return Samples.repoRoot().resolve("config/samples");
  }

  static List<Path> sampleSets() throws IOException {
    try (Stream<Path> dirs = Files.list(samples())) {
      return dirs.filter(Files::isDirectory).sorted().toList();
    }
  }

  @Test
  @DisplayName("config/samples holds one folder per sample set, each a kustomization, and config/samples itself lists them all")
  void oneKustomizationPerSet() throws IOException {
    List<String> sets = sampleSets().stream().map(p -> p.getFileName().toString()).toList();
    assertThat(sets).containsExactlyInAnyOrder("iflearner", "flotilla-fashion-mnist", "flotilla-tabular");
    for (Path set : sampleSets()) {
      assertThat(set.resolve("kustomization.yaml")).as(set + "/kustomization.yaml").isRegularFile();
    }
    assertThat(Files.readAllLines(samples().resolve("kustomization.yaml"))).containsAll(sets.stream().map(s -> "- " + s).toList());
  }

  @TestFactory
  @DisplayName("kubectl apply -k config/samples/<set> into a namespace of its own succeeds, and every object kustomize builds from the set is then in the API server")
  Stream<DynamicTest> applyEachSet() throws IOException {
    List<Path> dirs = new ArrayList<>(sampleSets());
    dirs.add(samples());
    return dirs.stream().map(dir -> DynamicTest.dynamicTest("kubectl apply -k " + Samples.repoRoot().relativize(dir), () -> {
      String namespace = "samples-" + dir.getFileName();
      KubeApi.namespace(client, namespace);
      String out = kubectl("apply", "-k", dir.toString(), "--namespace", namespace);
      List<Map<String, Object>> objects = Kustomize.build(dir);
      assertThat(objects).isNotEmpty();
      for (Map<String, Object> o : objects) {
        String name = (String) FlotillaChart.map(o, "metadata").get("name");
        assertThat(out).as("kubectl's report").contains("/" + name + " ");
        assertThat(client.genericKubernetesResources((String) o.get("apiVersion"), (String) o.get("kind"))
            .inNamespace(namespace).withName(name).get()).as(o.get("kind") + " " + name + " in " + namespace).isNotNull();
      }
    }));
  }

  @TestFactory
  @DisplayName("every other manifest (YAML under examples/, YAML blocks in the READMEs) applies with kubectl apply -f")
  Stream<DynamicTest> applyOtherManifests(@TempDir Path tmp) throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    Path root = Samples.repoRoot();
    try (Stream<Path> files = Files.walk(root.resolve("examples"))) {
      for (Path f : files.filter(p -> p.toString().matches(".*\\.ya?ml$") && !p.toString().contains("/target/")).toList()) {
        if (isManifest(Files.readString(f))) {
          tests.add(applyFile(root.relativize(f).toString(), f));
        }
      }
    }
    try (Stream<Path> files = Files.walk(root, 3)) {
      for (Path md : files.filter(p -> p.getFileName().toString().equals("README.md") && !p.toString().contains("/target/")).sorted().toList()) {
        Matcher m = YAML_BLOCK.matcher(Files.readString(md));
        for (int i = 0; m.find(); i++) {
          if (isManifest(m.group(1))) {
            Path block = tmp.resolve(root.relativize(md).toString().replace('/', '_') + "-" + i + ".yaml");
            Files.writeString(block, m.group(1));
            tests.add(applyFile(root.relativize(md) + " block " + i, block));
          }
        }
      }
    }
    // none today: every sample lives in config/samples; one added elsewhere is applied here
    return tests.stream();
  }

  private static boolean isManifest(String yaml) {
    return yaml.contains("apiVersion:") && yaml.contains("kind:");
  }

  private static DynamicTest applyFile(String name, Path file) {
    return DynamicTest.dynamicTest("kubectl apply -f " + name, () -> {
      KubeApi.namespace(client, "samples-other");
      // a manifest that names its namespace (e.g. the controller's own, for a Federation) is applied there, as a
      // user's kubectl would; the others go to samples-other
      List<String> named = KubeApi.loadAll(file).stream().map(o -> o.getMetadata().getNamespace())
          .filter(java.util.Objects::nonNull).distinct().toList();
      named.forEach(ns -> KubeApi.namespace(client, ns));
      if (named.isEmpty()) {
        kubectl("apply", "-f", file.toString(), "--namespace", "samples-other");
      } else {
        kubectl("apply", "-f", file.toString());
      }
      for (var o : KubeApi.loadAll(file)) {
        String namespace = o.getMetadata().getNamespace() != null ? o.getMetadata().getNamespace() : "samples-other";
        assertThat(client.genericKubernetesResources(o.getApiVersion(), o.getKind()).inNamespace(namespace)
            .withName(o.getMetadata().getName()).get()).as(name + ": " + o.getKind() + " " + o.getMetadata().getName()).isNotNull();
      }
    });
  }

  static String kubectl(String... args) {
    List<String> command = new ArrayList<>(List.of(RealServer.kubectlWithKustomize().toString(), "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    return ProcessRun.run(Samples.repoRoot(), TIMEOUT, Map.of(), command).requireSuccess();
  }
}
