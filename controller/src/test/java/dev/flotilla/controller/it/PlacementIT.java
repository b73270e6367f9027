package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.MemberStatus;
import dev.flotilla.controller.model.PlacementEngine;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.IflearnerJobReconciler;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * {@code --placement karmada|ocm} on a real kube-apiserver with the upstream CRDs installed (PropagationPolicy and
 * ResourceBinding from karmada-io/karmada; Placement, PlacementDecision, ManifestWork from open-cluster-management-io/api; vendored, see
 * SOURCES.md beside them): every object the controller writes is validated by the published schema, and a wrong
 * field is refused, which shows the schema is the real one. No Karmada or OCM control plane runs here: nothing
 * schedules or delivers, so the test writes a PlacementDecision's status as OCM's placement controller would, and a
 * ResourceBinding and its status as Karmada's detector and status controller would.
 */
@DisplayName("--placement: Karmada PropagationPolicy, OCM Placement and ManifestWorks, accepted by the upstream schemas")
class PlacementIT extends OnKubeApiServer {

  static final Duration WAIT = Duration.ofSeconds(90);
  static KubernetesClient client;

  static String job(String name, String placement) {
    return """
        apiVersion: git.iflytek.com/v1
        kind: IflearnerJob
        metadata:
          name: %s
          labels: {team: radiology}
        spec:
          role: client
          host: mnist.%s.party.fl.example.org
          placement: %s
          template:
            spec:
              containers:
              - name: party
                image: localhost/flotilla/party:0.1.0-SNAPSHOT
        """.formatted(name, name, placement);
  }

  @BeforeAll
  static void start() {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.coreDnsConfigMap(client);
    KubeApi.installCrd(client);
    KubeApi.installVendoredCrds(client, KubeApi.placementCrds());
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
  }

  static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> of(
      String apiVersion, String kind) {
    return client.genericKubernetesResources(apiVersion, kind);
  }

  static GenericKubernetesResource yaml(String text) {
    return Serialization.unmarshal(text, GenericKubernetesResource.class);
  }

  static void createJob(String ns, String yaml) {
    client.resources(IflearnerJob.class).inNamespace(ns).resource(Serialization.unmarshal(yaml, IflearnerJob.class)).create();
  }

  static IflearnerJob getJob(String ns, String name) {
    return client.resources(IflearnerJob.class).inNamespace(ns).withName(name).get();
  }

  static Condition condition(String ns, String name, String type) {
    IflearnerJob j = getJob(ns, name);
    if (j == null || j.getStatus() == null || j.getStatus().getConditions() == null) {
      return null;
    }
    return j.getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
  }

  @SuppressWarnings("unchecked")
  static <T> T at(Object tree, Object... path) {
    Object o = tree;
    for (Object step : path) {
      o = step instanceof Integer i ? ((List<Object>) o).get(i) : ((Map<String, Object>) o).get(step);
    }
    return (T) o;
  }

  /** Nothing of the job was made in the hub: the member cluster's controller makes its key, Service and pod. */
  static void nothingRunsHere(String ns, String name) {
    assertThat(client.secrets().inNamespace(ns).withName(name + "-tls").get()).as("no key on the hub").isNull();
    assertThat(client.services().inNamespace(ns).withName(name).get()).isNull();
    assertThat(client.pods().inNamespace(ns).withName(name).get()).isNull();
    assertThat(client.network().v1().ingresses().inNamespace(ns).withName(name).get()).isNull();
    assertThat(KubeApi.corefile(client)).doesNotContain(name + ".party");
  }

  @Nested
  @DisplayName("Karmada, with the controller running")
  class Karmada {

    @Test
    @DisplayName("a placed job gets a PropagationPolicy the API server stores as written (selector: the job; clusterNames), "
        + "PlacementReady=True PolicyApplied, phase Placed, and nothing run on the hub; a job without clusters is refused; "
        + "the schema refuses an empty resourceSelectors and a clusterNames that is no list")
    void propagationPolicy() throws Exception {
      String ns = "hub-karmada";
      KubeApi.namespace(client, ns);
      ControllerConfig config = ControllerConfig.defaults().withScope(WatchScope.of(ns)).withControllerNamespace(ns)
          .withIngressAddress("203.0.113.7").withPlacement(PlacementEngine.KARMADA);
      try (Controller controller = new Controller(client, config, new ControllerMetrics(new PrometheusRegistry()))) {
        controller.start();
        createJob(ns, job("alice", "{clusters: [eu-west, eu-north]}"));
        createJob(ns, job("bob", "{clusterSet: hospitals}"));

        await("PlacementReady of alice").atMost(WAIT).until(() -> condition(ns, "alice", "PlacementReady") != null);
        Condition ready = condition(ns, "alice", "PlacementReady");
        assertThat(ready.getStatus()).isEqualTo("True");
        assertThat(ready.getReason()).isEqualTo("PolicyApplied");
        assertThat(ready.getMessage()).isEqualTo("PropagationPolicy alice-placement places the job in eu-west, eu-north "
            + "(Karmada schedules it and writes it into each)");
        assertThat(getJob(ns, "alice").getStatus().getPhase()).isEqualTo("Placed");

        GenericKubernetesResource policy = of("policy.karmada.io/v1alpha1", "PropagationPolicy").inNamespace(ns)
            .withName("alice-placement").get();
        Map<String, Object> spec = at(policy.getAdditionalProperties(), "spec");
        assertThat((List<Object>) at(spec, "resourceSelectors")).containsExactly(
            Map.of("apiVersion", "git.iflytek.com/v1", "kind", "IflearnerJob", "name", "alice"));
        assertThat((List<String>) at(spec, "placement", "clusterAffinity", "clusterNames")).containsExactly("eu-west", "eu-north");
        assertThat(policy.getMetadata().getOwnerReferences()).singleElement()
            .satisfies(o -> assertThat(o.getUid()).isEqualTo(getJob(ns, "alice").getMetadata().getUid()));
        nothingRunsHere(ns, "alice");

        await("PlacementReady of bob").atMost(WAIT).until(() -> condition(ns, "bob", "PlacementReady") != null);
        Condition refused = condition(ns, "bob", "PlacementReady");
        assertThat(refused.getStatus()).isEqualTo("False");
        assertThat(refused.getReason()).isEqualTo("PlacementRefused");
        assertThat(refused.getMessage()).contains("a Karmada PropagationPolicy needs the member clusters by name")
            .contains("Karmada does not have");
        assertThat(of("policy.karmada.io/v1alpha1", "PropagationPolicy").inNamespace(ns).withName("bob-placement").get()).isNull();
        nothingRunsHere(ns, "bob");
      }

      // the schema is Karmada's: what it forbids is refused
      assertThatThrownBy(() -> of("policy.karmada.io/v1alpha1", "PropagationPolicy").inNamespace(ns).resource(yaml("""
          apiVersion: policy.karmada.io/v1alpha1
          kind: PropagationPolicy
          metadata: {name: no-selectors}
          spec: {resourceSelectors: []}
          """)).create()).isInstanceOf(KubernetesClientException.class)
          .hasMessageContaining("spec.resourceSelectors").hasMessageContaining("should have at least 1 items");
      assertThatThrownBy(() -> of("policy.karmada.io/v1alpha1", "PropagationPolicy").inNamespace(ns).resource(yaml("""
          apiVersion: policy.karmada.io/v1alpha1
          kind: PropagationPolicy
          metadata: {name: names-not-a-list}
          spec:
            resourceSelectors: [{apiVersion: git.iflytek.com/v1, kind: IflearnerJob}]
            placement: {clusterAffinity: {clusterNames: eu-west}}
          """)).create()).isInstanceOf(KubernetesClientException.class)
          .hasMessageContaining("spec.placement.clusterAffinity.clusterNames").hasMessageContaining("array");
    }
  }

  @Nested
  @DisplayName("Karmada status, with the controller running")
  class KarmadaWatched {

    static final String NS = "hub-karmada-watch";
    static final String BINDING = "work.karmada.io/v1alpha2";

    @Test
    @DisplayName("ResourceBindings are watched: the binding Karmada's detector makes (scheduled clusters) and each status its "
        + "status controller writes (applied, health, the member job's reflected status) become the hub job's status.members "
        + "with no other event; an apply failure shows with its message; a hostile status (a 20 000-character phase, 300 "
        + "clusters) is bounded; the schema is Karmada's (a health outside its enum is refused)")
    void statusFlowsBack() {
      KubeApi.namespace(client, NS);
      Controller controller = new Controller(client, ControllerConfig.defaults().withScope(WatchScope.of(NS))
          .withControllerNamespace(NS).withIngressAddress("203.0.113.7").withPlacement(PlacementEngine.KARMADA),
          new ControllerMetrics(new PrometheusRegistry()));
      controller.start();
      try {
        createJob(NS, job("erin", "{clusters: [member1, member2]}"));
        await("PolicyApplied").atMost(WAIT).until(() -> condition(NS, "erin", "PlacementReady") != null
            && "PolicyApplied".equals(condition(NS, "erin", "PlacementReady").getReason()));
        assertThat(getJob(NS, "erin").getStatus().getMembers()).as("no binding yet").isNull();

        // what Karmada's detector writes once the policy matches: the binding, owned by the job, its scheduler's clusters
        IflearnerJob erin = getJob(NS, "erin");
        of(BINDING, "ResourceBinding").inNamespace(NS).resource(yaml("""
            apiVersion: work.karmada.io/v1alpha2
            kind: ResourceBinding
            metadata:
              name: erin-iflearnerjob
              ownerReferences:
              - {apiVersion: git.iflytek.com/v1, kind: IflearnerJob, name: erin, uid: %s, controller: true, blockOwnerDeletion: true}
            spec:
              resource: {apiVersion: git.iflytek.com/v1, kind: IflearnerJob, namespace: %s, name: erin, uid: %s}
              clusters: [{name: member1}, {name: member2}]
            """.formatted(erin.getMetadata().getUid(), NS, erin.getMetadata().getUid()))).create();
        await("scheduled, pending").atMost(WAIT).until(() -> List.of(member("member1", "Pending", null, null),
            member("member2", "Pending", null, null)).equals(getJob(NS, "erin").getStatus().getMembers()));

        // what its status controller writes as the members report
        bindingStatus(List.of(
            Map.of("clusterName", "member1", "applied", true, "health", "Healthy", "status", Map.of("phase", "Running",
                "partiesConnected", 2)),
            Map.of("clusterName", "member2", "applied", false, "appliedMessage", "namespaces \"hub-karmada-watch\" not found")));
        await("reported").atMost(WAIT).until(() -> List.of(member("member1", "Running", "Healthy", null),
            member("member2", "ApplyFailed", null, "namespaces \"hub-karmada-watch\" not found"))
            .equals(getJob(NS, "erin").getStatus().getMembers()));
        bindingStatus(List.of(
            Map.of("clusterName", "member1", "applied", true, "health", "Healthy", "status", Map.of("phase", "Succeeded")),
            Map.of("clusterName", "member2", "applied", true, "health", "Unknown")));
        await("follows").atMost(WAIT).until(() -> List.of(member("member1", "Succeeded", "Healthy", null),
            member("member2", "Applied", "Unknown", null)).equals(getJob(NS, "erin").getStatus().getMembers()));
        assertThat(getJob(NS, "erin").getStatus().getPhase()).isEqualTo("Placed");
        nothingRunsHere(NS, "erin");

        // a member (or whatever writes the binding) reports without bound: the hub job's status stays bounded
        List<Map<String, Object>> flood = new java.util.ArrayList<>();
        flood.add(Map.of("clusterName", "member1", "applied", true, "status", Map.of("phase", "R".repeat(20_000))));
        for (int i = 0; i < 300; i++) {
          flood.add(Map.of("clusterName", "z%03d".formatted(i), "applied", true));
        }
        bindingStatus(flood);
        await("bounded").atMost(WAIT).until(() -> getJob(NS, "erin").getStatus().getMembers().size() == 100);
        List<MemberStatus> members = getJob(NS, "erin").getStatus().getMembers();
        assertThat(members.get(0).getCluster()).isEqualTo("member1");
        assertThat(members.get(0).getPhase()).isEqualTo("R".repeat(63));
        assertThat(members.get(1)).isEqualTo(member("member2", "Pending", null, null));
        assertThat(members.get(99).getCluster()).isEqualTo("z097");
      } finally {
        controller.close();
      }
      GenericKubernetesResource b = of(BINDING, "ResourceBinding").inNamespace(NS).withName("erin-iflearnerjob").get();
      b.setAdditionalProperty("status", Map.of("aggregatedStatus", List.of(Map.of("clusterName", "member1", "health", "Sick"))));
      assertThatThrownBy(() -> of(BINDING, "ResourceBinding").inNamespace(NS).resource(b).updateStatus())
          .isInstanceOf(KubernetesClientException.class).hasMessageContaining("health").hasMessageContaining("Unsupported value");
    }

    static MemberStatus member(String cluster, String phase, String health, String message) {
      MemberStatus m = new MemberStatus(cluster, phase);
      m.setHealth(health);
      m.setMessage(message);
      return m;
    }

    /** Karmada's status controller: the binding's aggregatedStatus, through the status subresource. */
    static void bindingStatus(List<Map<String, Object>> aggregated) {
      GenericKubernetesResource b = of(BINDING, "ResourceBinding").inNamespace(NS).withName("erin-iflearnerjob").get();
      b.setAdditionalProperty("status", Map.of("aggregatedStatus", aggregated));
      of(BINDING, "ResourceBinding").inNamespace(NS).resource(b).updateStatus();
    }
  }

  @Nested
  @DisplayName("OCM, one reconcile at a time")
  class Ocm {

    static final String NS = "hub-ocm";
    static final String PLACEMENT = "cluster.open-cluster-management.io/v1beta1";
    static final String WORK = "work.open-cluster-management.io/v1";

    @Test
    @DisplayName("Placement from the set, narrowed to the named clusters; no decision: PlacementReady=False NoDecision and no work; "
        + "decided: a ManifestWork carrying the job in each chosen cluster's namespace and the finalizer; a cluster dropped "
        + "loses its work; an unchanged pass writes nothing; deleting the job removes every work; nothing runs on the hub")
    void placementAndManifestWorks() {
      KubeApi.namespace(client, NS);
      KubeApi.namespace(client, "eu-west");
      KubeApi.namespace(client, "eu-north");
      IflearnerJobReconciler reconciler = new IflearnerJobReconciler(client, ControllerConfig.defaults()
          .withScope(WatchScope.of(NS)).withControllerNamespace(NS).withIngressAddress("203.0.113.7")
          .withPlacement(PlacementEngine.OCM), Clock.systemUTC());
      createJob(NS, job("carol", "{clusters: [eu-west, eu-north], clusterSet: hospitals}"));

      assertThat(reconciler.reconcile(NS, "carol").failed()).isFalse();
      GenericKubernetesResource placement = of(PLACEMENT, "Placement").inNamespace(NS).withName("carol-placement").get();
      assertThat((List<String>) at(placement.getAdditionalProperties(), "spec", "clusterSets")).containsExactly("hospitals");
      assertThat((Object) at(placement.getAdditionalProperties(), "spec", "predicates", 0, "requiredClusterSelector",
          "labelSelector", "matchExpressions", 0)).isEqualTo(Map.of("key", "open-cluster-management.io/cluster-name",
              "operator", "In", "values", List.of("eu-west", "eu-north")));
      Condition waiting = condition(NS, "carol", "PlacementReady");
      assertThat(waiting.getStatus() + " " + waiting.getReason()).isEqualTo("False NoDecision");
      assertThat(getJob(NS, "carol").getMetadata().getFinalizers()).doesNotContain("flotilla.dev/manifestworks");
      assertThat(of(WORK, "ManifestWork").inAnyNamespace().list().getItems()).isEmpty();

      // what OCM's placement controller writes: a decision labelled with the Placement, its clusters in status (a
      // non-empty reason: OCM writes "", which kube-apiserver 1.20 reads as null and this schema refuses)
      decide("carol-placement-decision-1", "carol-placement", "eu-west", "eu-north");
      assertThat(reconciler.reconcile(NS, "carol").failed()).isFalse();
      Condition ready = condition(NS, "carol", "PlacementReady");
      assertThat(ready.getStatus() + " " + ready.getReason()).isEqualTo("True WorkApplied");
      assertThat(ready.getMessage()).isEqualTo("Placement carol-placement chose eu-west, eu-north: ManifestWork hub-ocm.carol in each");
      assertThat(getJob(NS, "carol").getStatus().getPhase()).isEqualTo("Placed");
      assertThat(getJob(NS, "carol").getMetadata().getFinalizers()).contains("flotilla.dev/manifestworks");
      for (String cluster : List.of("eu-west", "eu-north")) {
        GenericKubernetesResource work = of(WORK, "ManifestWork").inNamespace(cluster).withName("hub-ocm.carol").get();
        assertThat(work).as("work in " + cluster).isNotNull();
        Map<String, Object> manifest = at(work.getAdditionalProperties(), "spec", "workload", "manifests", 0);
        assertThat(manifest).containsEntry("apiVersion", "git.iflytek.com/v1").containsEntry("kind", "IflearnerJob");
        assertThat((Object) at(manifest, "metadata")).isEqualTo(Map.of("name", "carol", "namespace", NS,
            "labels", Map.of("team", "radiology")));
        assertThat((String) at(manifest, "spec", "host")).isEqualTo("mnist.carol.party.fl.example.org");
      }
      nothingRunsHere(NS, "carol");

      decide("carol-placement-decision-1", "carol-placement", "eu-north");
      assertThat(reconciler.reconcile(NS, "carol").failed()).isFalse();
      assertThat(of(WORK, "ManifestWork").inNamespace("eu-west").withName("hub-ocm.carol").get()).isNull();
      GenericKubernetesResource kept = of(WORK, "ManifestWork").inNamespace("eu-north").withName("hub-ocm.carol").get();
      String jobVersion = getJob(NS, "carol").getMetadata().getResourceVersion();
      assertThat(reconciler.reconcile(NS, "carol").failed()).isFalse();
      assertThat(of(WORK, "ManifestWork").inNamespace("eu-north").withName("hub-ocm.carol").get().getMetadata()
          .getResourceVersion()).as("an unchanged pass rewrites no work").isEqualTo(kept.getMetadata().getResourceVersion());
      assertThat(getJob(NS, "carol").getMetadata().getResourceVersion()).as("nor the job").isEqualTo(jobVersion);

      client.resources(IflearnerJob.class).inNamespace(NS).withName("carol").delete();
      assertThat(getJob(NS, "carol")).as("held by the finalizer").isNotNull();
      reconciler.reconcile(NS, "carol");
      assertThat(of(WORK, "ManifestWork").inAnyNamespace().list().getItems()).isEmpty();
      await("job gone").atMost(WAIT).until(() -> getJob(NS, "carol") == null);
    }

    @Test
    @DisplayName("the schemas are OCM's: a Placement whose numberOfClusters is text and a ManifestWork whose manifest is no "
        + "object are refused; a PlacementDecision without decisions in its status is refused")
    void schemasAreReal() {
      KubeApi.namespace(client, NS);
      assertThatThrownBy(() -> of(PLACEMENT, "Placement").inNamespace(NS).resource(yaml("""
          apiVersion: cluster.open-cluster-management.io/v1beta1
          kind: Placement
          metadata: {name: wrong}
          spec: {numberOfClusters: two}
          """)).create()).isInstanceOf(KubernetesClientException.class).hasMessageContaining("spec.numberOfClusters");
      assertThatThrownBy(() -> of(WORK, "ManifestWork").inNamespace(NS).resource(yaml("""
          apiVersion: work.open-cluster-management.io/v1
          kind: ManifestWork
          metadata: {name: wrong}
          spec: {workload: {manifests: [an-iflearnerjob]}}
          """)).create()).isInstanceOf(KubernetesClientException.class).hasMessageContaining("spec.workload.manifests");
      GenericKubernetesResource d = of(PLACEMENT, "PlacementDecision").inNamespace(NS).resource(yaml("""
          apiVersion: cluster.open-cluster-management.io/v1beta1
          kind: PlacementDecision
          metadata: {name: wrong-decision}
          """)).create();
      d.setAdditionalProperty("status", Map.of("decisions", List.of(Map.of("clusterName", "eu-west"))));
      assertThatThrownBy(() -> of(PLACEMENT, "PlacementDecision").inNamespace(NS).resource(d).updateStatus())
          .isInstanceOf(KubernetesClientException.class).hasMessageContaining("reason");
    }

    static void decide(String name, String placement, String... clusters) {
      decideIn(NS, name, placement, clusters);
    }
  }

  /** What OCM's placement controller writes: a decision labelled with the Placement, its clusters in status. */
  static void decideIn(String ns, String name, String placement, String... clusters) {
    var decisions = of(Ocm.PLACEMENT, "PlacementDecision").inNamespace(ns);
    GenericKubernetesResource d = decisions.withName(name).get();
    if (d == null) {
      d = decisions.resource(yaml("""
          apiVersion: cluster.open-cluster-management.io/v1beta1
          kind: PlacementDecision
          metadata:
            name: %s
            labels: {cluster.open-cluster-management.io/placement: %s}
          """.formatted(name, placement))).create();
    }
    d.setAdditionalProperty("status", Map.of("decisions",
        java.util.Arrays.stream(clusters).map(c -> Map.of("clusterName", c, "reason", "written by the test")).toList()));
    decisions.resource(d).updateStatus();
  }

  @Nested
  @DisplayName("OCM, with the controller running")
  class OcmWatched {

    static final String NS = "hub-ocm-watch";

    @Test
    @DisplayName("decisions are watched (a decision written later brings the works with no other event); each work's status "
        + "feedback becomes that cluster's phase in the hub job's status.members, and follows it")
    void statusFlowsBack() {
      KubeApi.namespace(client, NS);
      KubeApi.namespace(client, "ap-east");
      KubeApi.namespace(client, "ap-south");
      Controller controller = new Controller(client, ControllerConfig.defaults().withScope(WatchScope.of(NS))
          .withControllerNamespace(NS).withIngressAddress("203.0.113.7").withPlacement(PlacementEngine.OCM),
          new ControllerMetrics(new PrometheusRegistry()));
      controller.start();
      try {
        createJob(NS, job("dora", "{clusters: [ap-east, ap-south], clusterSet: hospitals}"));
        await("NoDecision").atMost(WAIT).until(() -> condition(NS, "dora", "PlacementReady") != null
            && "NoDecision".equals(condition(NS, "dora", "PlacementReady").getReason()));

        decideIn(NS, "dora-placement-decision-1", "dora-placement", "ap-east", "ap-south");
        await("works from the watched decision").atMost(WAIT).until(() -> work("ap-east") != null && work("ap-south") != null);
        assertThat((Object) at(work("ap-east").getAdditionalProperties(), "spec", "manifestConfigs", 0, "feedbackRules", 0, "jsonPaths", 0))
            .isEqualTo(Map.of("name", "phase", "path", ".phase"));
        await("members pending").atMost(WAIT).until(() -> List.of(new MemberStatus("ap-east", "Pending"),
            new MemberStatus("ap-south", "Pending")).equals(getJob(NS, "dora").getStatus().getMembers()));

        // what each cluster's work agent writes back
        workStatus("ap-east", "Running");
        workStatus("ap-south", null);
        await("fed back").atMost(WAIT).until(() -> List.of(new MemberStatus("ap-east", "Running"),
            new MemberStatus("ap-south", "Applied")).equals(getJob(NS, "dora").getStatus().getMembers()));
        workStatus("ap-south", "Succeeded");
        await("follows").atMost(WAIT).until(() -> List.of(new MemberStatus("ap-east", "Running"),
            new MemberStatus("ap-south", "Succeeded")).equals(getJob(NS, "dora").getStatus().getMembers()));
        assertThat(getJob(NS, "dora").getStatus().getPhase()).isEqualTo("Placed");
      } finally {
        controller.close();
      }
    }

    static GenericKubernetesResource work(String cluster) {
      return of(Ocm.WORK, "ManifestWork").inNamespace(cluster).withName(NS + ".dora").get();
    }

    /** The work agent's status: Applied, and with {@code phase} the job's phase as a JSONPaths feedback value. */
    static void workStatus(String cluster, String phase) {
      GenericKubernetesResource w = work(cluster);
      String now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
      Map<String, Object> applied = Map.of("type", "Applied", "status", "True", "reason", "AppliedManifestWorkComplete",
          "message", "Apply manifest work complete", "lastTransitionTime", now);
      Map<String, Object> manifest = new java.util.LinkedHashMap<>();
      manifest.put("resourceMeta", Map.of("group", "git.iflytek.com", "version", "v1", "kind", "IflearnerJob",
          "resource", "iflearnerjobs", "name", "dora", "namespace", NS, "ordinal", 0));
      manifest.put("conditions", List.of(Map.of("type", "Available", "status", "True", "reason", "ResourceAvailable",
          "message", "Resource is available", "lastTransitionTime", now)));
      if (phase != null) {
        manifest.put("statusFeedback", Map.of("values", List.of(Map.of("name", "phase",
            "fieldValue", Map.of("type", "String", "string", phase)))));
      }
      w.setAdditionalProperty("status", Map.of("conditions", List.of(applied),
          "resourceStatus", Map.of("manifests", List.of(manifest))));
      of(Ocm.WORK, "ManifestWork").inNamespace(cluster).resource(w).updateStatus();
    }
  }
}
