package dev.flotilla.clusters;

import static org.assertj.core.api.Assertions.assertThat;

import com.pulumi.test.Mocks;
import com.pulumi.test.PulumiTest;
import com.pulumi.test.TestOptions;
import com.pulumi.test.TestResult;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The program run by Pulumi's own test engine (com.pulumi.test: no cloud, no pulumi CLI, no language host): every
 * resource it registers reaches the mocks with its type, name, inputs and provider, and the mocks answer as GCP
 * would (a cluster's endpoint and CA, an address's IP), so the outputs wired into later resources are real values.
 */
@DisplayName("the federation stack under Pulumi's mocks: the resources it would create, with their inputs")
class FederationStackTest {

  static final Map<String, String> ADDRESSES = Map.of("coord-ingress", "203.0.113.1", "alice-ingress", "203.0.113.2",
      "bob-ingress", "203.0.113.3");
  static final List<Mocks.ResourceArgs> CREATED = new CopyOnWriteArrayList<>();
  static TestResult result;

  /** Records every registration; answers with the inputs plus what GCP would add. */
  static final class GcpLikeMocks implements Mocks {
    @Override
    public CompletableFuture<ResourceResult> newResourceAsync(ResourceArgs args) {
      CREATED.add(args);
      Map<String, Object> state = new HashMap<>(args.inputs);
      switch (args.type) {
        case "gcp:container/cluster:Cluster" -> {
          state.put("endpoint", "endpoint-of-" + args.name);
          state.put("masterAuth", Map.of("clusterCaCertificate", "ca-of-" + args.name,
              "clientCertificateConfig", Map.of("issueClientCertificate", false)));
        }
        case "gcp:compute/address:Address" -> state.put("address", ADDRESSES.get(args.name));
        default -> { }
      }
      return CompletableFuture.completedFuture(ResourceResult.of(Optional.of(args.name + "-id"), state));
    }
  }

  @BeforeAll
  static void run() {
    result = PulumiTest.withMocks(new GcpLikeMocks())
        .withOptions(TestOptions.builder().projectName("flotilla").stackName("test").preview(false).build())
        .runTest(ctx -> FederationStack.define(ctx, Examples.spec()));
  }

  @AfterAll
  static void cleanup() {
    PulumiTest.cleanup();
  }

  static List<Mocks.ResourceArgs> ofType(String type) {
    return CREATED.stream().filter(a -> a.type.equals(type)).toList();
  }

  static Mocks.ResourceArgs named(String type, String name) {
    return ofType(type).stream().filter(a -> a.name.equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " named " + name + " among " + CREATED.stream().map(a -> a.name).toList()));
  }

  @SuppressWarnings("unchecked")
  static <T> T at(Object tree, Object... path) {
    Object o = tree;
    for (Object step : path) {
      o = step instanceof Integer i ? ((List<Object>) o).get(i) : ((Map<String, Object>) o).get(step);
    }
    return (T) o;
  }

  static int number(Object o) {
    return ((Number) o).intValue();
  }

  @Test
  @DisplayName("the program ran without errors and registered 3 addresses, clusters, node pools, providers, namespaces, "
      + "charts, records and Federation objects, and nothing else")
  void ranCleanly() {
    assertThat(result.errors()).isEmpty();
    assertThat(result.exceptions()).isEmpty();
    assertThat(CREATED.stream().map(a -> a.type).distinct().sorted().toList()).containsExactly(
        "gcp:compute/address:Address", "gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool",
        "gcp:dns/recordSet:RecordSet", "kubernetes:core/v1:Namespace", "kubernetes:flotilla.dev/v1alpha1:Federation",
        "kubernetes:helm.sh/v3:Release", "pulumi:providers:kubernetes");
    CREATED.stream().collect(java.util.stream.Collectors.groupingBy(a -> a.type, java.util.stream.Collectors.counting()))
        .forEach((type, count) -> assertThat(count).as(type).isEqualTo(3L));
  }

  @Test
  @DisplayName("one regional GKE cluster per organisation, named after it, in its region and project, default pool removed")
  void clusters() {
    for (String[] org : new String[][] {{"coord", "europe-west1"}, {"alice", "europe-west4"}, {"bob", "us-central1"}}) {
      Map<String, Object> in = named("gcp:container/cluster:Cluster", org[0]).inputs;
      assertThat(in.get("name")).isEqualTo(org[0]);
      assertThat(in.get("location")).isEqualTo(org[1]);
      assertThat(in.get("project")).isEqualTo("flotilla-fed");
      assertThat(in.get("removeDefaultNodePool")).isEqualTo(true);
      assertThat(number(in.get("initialNodeCount"))).isEqualTo(1);
    }
  }

  @Test
  @DisplayName("each node pool is on its own cluster, in its region, with the organisation's node count and machine type")
  void nodePools() {
    Map<String, Object> alice = named("gcp:container/nodePool:NodePool", "alice-pool").inputs;
    assertThat(alice.get("cluster")).isEqualTo("alice");
    assertThat(alice.get("location")).isEqualTo("europe-west4");
    assertThat(number(alice.get("nodeCount"))).isEqualTo(2);
    assertThat((String) at(alice, "nodeConfig", "machineType")).isEqualTo("n2-standard-8");
    assertThat((List<String>) at(alice, "nodeConfig", "oauthScopes")).containsExactly("https://www.googleapis.com/auth/cloud-platform");
    assertThat(number(named("gcp:container/nodePool:NodePool", "bob-pool").inputs.get("nodeCount"))).isEqualTo(3);
    assertThat((String) at(named("gcp:container/nodePool:NodePool", "coord-pool").inputs, "nodeConfig", "machineType"))
        .isEqualTo("e2-standard-4");
  }

  @Test
  @DisplayName("each Kubernetes provider's kubeconfig is its own cluster's endpoint and CA")
  void providers() {
    for (String org : List.of("coord", "alice", "bob")) {
      String kubeconfig = (String) named("pulumi:providers:kubernetes", org + "-k8s").inputs.get("kubeconfig");
      assertThat(kubeconfig).contains("server: https://endpoint-of-" + org + "\n", "certificate-authority-data: ca-of-" + org + "\n");
    }
  }

  @Test
  @DisplayName("the Flotilla chart from charts/flotilla on each cluster through that cluster's provider, with its address in "
      + "the controller's flags, each organisation a Federation member; only the coordinator's serves enrollment, the parties' join")
  void charts() {
    for (String[] org : new String[][] {{"coord", "203.0.113.1"}, {"alice", "203.0.113.2"}, {"bob", "203.0.113.3"}}) {
      Mocks.ResourceArgs release = named("kubernetes:helm.sh/v3:Release", org[0] + "-flotilla");
      assertThat(release.inputs.get("chart")).isEqualTo("../charts/flotilla");
      assertThat(release.inputs.get("namespace")).isEqualTo("flotilla-system");
      assertThat(release.inputs.get("createNamespace")).isEqualTo(true);
      assertThat(release.provider).contains("::" + org[0] + "-k8s::");
      List<String> args = at(release.inputs, "values", "extraArgs");
      assertThat(args).contains("--ingress-address=" + org[1], "--allowed-domain=fl.example.org");
      assertThat(args).noneMatch(a -> a.startsWith("--enroll-federation") || a.startsWith("--federation-member"));
      assertThat((String) at(release.inputs, "values", "federation", "member")).isEqualTo(org[0]);
      assertThat((String) at(release.inputs, "values", "federation", "enroll"))
          .isEqualTo(org[0].equals("coord") ? "flotilla-jobs/fl.example.org" : "");
      assertThat((Boolean) at(release.inputs, "values", "federation", "join")).as("a party organisation joins")
          .isEqualTo(!org[0].equals("coord"));
      assertThat((List<String>) at(release.inputs, "values", "watch", "namespaces")).containsExactly("flotilla-jobs");
      assertThat((String) at(release.inputs, "values", "image", "repository"))
          .isEqualTo("europe-docker.pkg.dev/flotilla-fed/flotilla/controller");
      Mocks.ResourceArgs ns = named("kubernetes:core/v1:Namespace", org[0] + "-jobs");
      assertThat((String) at(ns.inputs, "metadata", "name")).isEqualTo("flotilla-jobs");
      assertThat(ns.provider).contains("::" + org[0] + "-k8s::");
    }
  }

  @Test
  @DisplayName("DNS: an A record per organisation in the managed zone, *.server. for the coordinator and *.<name>.party. "
      + "for the parties, answering its ingress address")
  void dns() {
    Map<String, Object> coord = named("gcp:dns/recordSet:RecordSet", "coord-dns").inputs;
    assertThat(coord.get("name")).isEqualTo("*.server.fl.example.org.");
    assertThat(coord.get("managedZone")).isEqualTo("fl-example-org");
    assertThat(coord.get("type")).isEqualTo("A");
    assertThat(number(coord.get("ttl"))).isEqualTo(300);
    assertThat((List<String>) coord.get("rrdatas")).containsExactly("203.0.113.1");
    Map<String, Object> bob = named("gcp:dns/recordSet:RecordSet", "bob-dns").inputs;
    assertThat(bob.get("name")).isEqualTo("*.bob.party.fl.example.org.");
    assertThat((List<String>) bob.get("rrdatas")).containsExactly("203.0.113.3");
  }

  @Test
  @DisplayName("the same Federation object in every cluster, through its provider: the domain and all three members "
      + "with role and address")
  void federation() {
    for (String org : List.of("coord", "alice", "bob")) {
      Mocks.ResourceArgs f = named("kubernetes:flotilla.dev/v1alpha1:Federation", org + "-federation");
      assertThat(f.provider).contains("::" + org + "-k8s::");
      assertThat(f.inputs.get("apiVersion")).isEqualTo("flotilla.dev/v1alpha1");
      assertThat(f.inputs.get("kind")).isEqualTo("Federation");
      assertThat(f.inputs.get("metadata")).isEqualTo(Map.of("name", "federation", "namespace", "flotilla-system"));
      assertThat((String) at(f.inputs, "spec", "domain")).isEqualTo("fl.example.org");
      List<Map<String, Object>> members = at(f.inputs, "spec", "members");
      assertThat(members).extracting(m -> m.get("name") + " " + m.get("role") + " " + m.get("address"))
          .containsExactly("coord coordinator 203.0.113.1", "alice party 203.0.113.2", "bob party 203.0.113.3");
    }
  }
}
