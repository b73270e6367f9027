package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.PlacementSpec;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("spec.placement — the Karmada PropagationPolicy, the OCM Placement and ManifestWorks, and their refusals")
class PlacementModelTest {

  static JobModel placed(List<String> clusters, String clusterSet) {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl");
    job.getSpec().setPlacement(new PlacementSpec(clusters, clusterSet));
    job.getMetadata().setResourceVersion("42");
    job.getMetadata().setFinalizers(List.of("flotilla.dev/coredns-records"));
    return new JobModel(job);
  }

  @SuppressWarnings("unchecked")
  static <T> T at(Object tree, Object... path) {
    Object o = tree;
    for (Object step : path) {
      o = step instanceof Integer i ? ((List<Object>) o).get(i) : ((Map<String, Object>) o).get(step);
    }
    return (T) o;
  }

  @Test
  @DisplayName("a job is placed only with an engine on and spec.placement given")
  void placedOnlyWithEngineAndSpec() {
    JobModel withSpec = placed(List.of("eu-west"), null);
    JobModel without = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl"));
    assertThat(PlacementModel.placed(withSpec, PlacementEngine.KARMADA)).isTrue();
    assertThat(PlacementModel.placed(withSpec, PlacementEngine.OCM)).isTrue();
    assertThat(PlacementModel.placed(withSpec, PlacementEngine.NONE)).isFalse();
    assertThat(PlacementModel.placed(without, PlacementEngine.KARMADA)).isFalse();
  }

  @Test
  @DisplayName("--placement reads none, karmada, ocm (any case) and refuses anything else naming the three")
  void engineFlag() {
    assertThat(PlacementEngine.parse("karmada")).isEqualTo(PlacementEngine.KARMADA);
    assertThat(PlacementEngine.parse("OCM")).isEqualTo(PlacementEngine.OCM);
    assertThat(PlacementEngine.parse("none")).isEqualTo(PlacementEngine.NONE);
    assertThatThrownBy(() -> PlacementEngine.parse("kubefed"))
        .hasMessage("'kubefed' is not a placement engine: none, karmada, ocm");
  }

  @Nested
  @DisplayName("refusals")
  class Refusals {
    @Test
    @DisplayName("Karmada needs cluster names and has no cluster sets; both problems are named at once")
    void karmada() {
      assertThat(PlacementModel.refusal(placed(null, "hospitals"), PlacementEngine.KARMADA)).hasValue(
          "spec.placement.clusters is empty: a Karmada PropagationPolicy needs the member clusters by name; "
              + "spec.placement.clusterSet is an OCM ManagedClusterSet, which Karmada does not have: name the clusters instead");
      assertThat(PlacementModel.refusal(placed(List.of("eu-west"), null), PlacementEngine.KARMADA)).isEmpty();
    }

    @Test
    @DisplayName("OCM takes a cluster set alone, or no clusters at all (every cluster of the set)")
    void ocmAllowsNoClusters() {
      assertThat(PlacementModel.refusal(placed(null, null), PlacementEngine.OCM)).isEmpty();
      assertThat(PlacementModel.refusal(placed(List.of(), "hospitals"), PlacementEngine.OCM)).isEmpty();
    }

    @Test
    @DisplayName("cluster and set names must be DNS labels, each cluster named once, at most 100 clusters")
    void names() {
      assertThat(PlacementModel.refusal(placed(List.of("eu-west", "EU_North", "eu-west"), "Bad Set"), PlacementEngine.OCM))
          .hasValue("cluster 'EU_North' is not a cluster name (1-63 lower-case letters, digits, '-'); "
              + "cluster 'eu-west' is named twice; "
              + "clusterSet 'Bad Set' is not a ManagedClusterSet name (1-63 lower-case letters, digits, '-')");
      List<String> many = java.util.stream.IntStream.range(0, 101).mapToObj(i -> "c" + i).toList();
      assertThat(PlacementModel.refusal(placed(many, null), PlacementEngine.KARMADA))
          .hasValue("spec.placement.clusters names 101 clusters, at most 100");
      assertThat(PlacementModel.refusal(placed(List.of("x".repeat(64)), null), PlacementEngine.KARMADA)).isPresent();
    }

    @Test
    @DisplayName("a ManifestWork name above 253 characters (namespace.job) is a problem, 253 is not")
    void workName() {
      IflearnerJob job = Samples.load("flotilla-fashion-mnist/party-a.yaml", "n".repeat(63));
      job.getMetadata().setName("j".repeat(189));
      assertThat(OcmPlacementModel.workNameProblem(new JobModel(job))).isEmpty();
      job.getMetadata().setName("j".repeat(190));
      assertThat(OcmPlacementModel.workNameProblem(new JobModel(job))).get().asString().contains("is 254 characters, at most 253");
    }
  }

  @Nested
  @DisplayName("the member copy")
  class MemberCopy {
    @Test
    @DisplayName("kind, name, namespace, labels and the whole spec; nothing the hub's API server wrote")
    void copy() {
      JobModel job = placed(List.of("eu-west"), null);
      job.job().getMetadata().setLabels(Map.of("team", "radiology"));
      Map<String, Object> copy = PlacementModel.memberCopy(job);
      assertThat(copy).containsEntry("apiVersion", "git.iflytek.com/v1").containsEntry("kind", "IflearnerJob")
          .containsOnlyKeys("apiVersion", "kind", "metadata", "spec");
      assertThat((Map<String, Object>) at(copy, "metadata")).containsOnly(entry("name", "fashion-party-a"),
          entry("namespace", "fl"), entry("labels", Map.of("team", "radiology")));
      Map<String, Object> spec = Serialization.jsonMapper().convertValue(job.spec(), Map.class);
      assertThat((Object) at(copy, "spec")).isEqualTo(spec);
      assertThat((String) at(copy, "spec", "host")).isEqualTo("fashion.a.party.fl.example.org");
      assertThat((List<String>) at(copy, "spec", "placement", "clusters")).containsExactly("eu-west");
    }
  }

  @Nested
  @DisplayName("Karmada")
  class Karmada {
    @Test
    @DisplayName("a PropagationPolicy <job>-placement in the job's namespace, owned by the job, with its labels")
    void identity() {
      JobModel job = placed(List.of("eu-west", "eu-north"), null);
      GenericKubernetesResource policy = PropagationPolicyModel.desired(job);
      assertThat(policy.getApiVersion()).isEqualTo("policy.karmada.io/v1alpha1");
      assertThat(policy.getKind()).isEqualTo("PropagationPolicy");
      ChildModelsTest.assertOwnedChild(policy, job, "fashion-party-a-placement");
    }

    @Test
    @DisplayName("selects exactly the job (apiVersion, kind, name) and places it by clusterAffinity.clusterNames, in order")
    void selectorAndPlacement() {
      JobModel job = placed(List.of("eu-west", "eu-north"), null);
      Map<String, Object> spec = (Map<String, Object>) PropagationPolicyModel.desired(job).getAdditionalProperties().get("spec");
      assertThat(spec).containsOnlyKeys("resourceSelectors", "placement");
      assertThat((List<Object>) at(spec, "resourceSelectors")).containsExactly(
          Map.of("apiVersion", "git.iflytek.com/v1", "kind", "IflearnerJob", "name", "fashion-party-a"));
      assertThat((Object) at(spec, "placement")).isEqualTo(Map.of("clusterAffinity",
          Map.of("clusterNames", List.of("eu-west", "eu-north"))));
    }
  }

  @Nested
  @DisplayName("OCM")
  class Ocm {
    @Test
    @DisplayName("a Placement <job>-placement owned by the job, from the named set, narrowed to the named clusters")
    void placement() {
      JobModel job = placed(List.of("eu-west", "eu-north"), "hospitals");
      GenericKubernetesResource placement = OcmPlacementModel.placement(job);
      assertThat(placement.getApiVersion()).isEqualTo("cluster.open-cluster-management.io/v1beta1");
      assertThat(placement.getKind()).isEqualTo("Placement");
      ChildModelsTest.assertOwnedChild(placement, job, "fashion-party-a-placement");
      Map<String, Object> spec = (Map<String, Object>) placement.getAdditionalProperties().get("spec");
      assertThat(spec).containsOnlyKeys("clusterSets", "predicates");
      assertThat((List<String>) at(spec, "clusterSets")).containsExactly("hospitals");
      assertThat((Object) at(spec, "predicates", 0, "requiredClusterSelector", "labelSelector", "matchExpressions", 0))
          .isEqualTo(Map.of("key", "open-cluster-management.io/cluster-name", "operator", "In",
              "values", List.of("eu-west", "eu-north")));
      assertThat((List<Object>) at(spec, "predicates")).hasSize(1);
    }

    @Test
    @DisplayName("without clusters: every cluster of the set global, no predicate")
    void placementOfWholeSet() {
      Map<String, Object> spec = (Map<String, Object>) OcmPlacementModel.placement(placed(null, null))
          .getAdditionalProperties().get("spec");
      assertThat(spec).containsOnly(entry("clusterSets", List.of("global")));
    }

    @Test
    @DisplayName("the decided clusters: each once, in order, across decisions; empty names and malformed status skipped")
    void decisions() {
      GenericKubernetesResource first = decision(Map.of("decisions", List.of(
          Map.of("clusterName", "eu-west", "reason", ""), Map.of("clusterName", "", "reason", ""))));
      GenericKubernetesResource second = decision(Map.of("decisions", List.of(
          Map.of("clusterName", "eu-north", "reason", ""), Map.of("clusterName", "eu-west", "reason", ""), "junk",
          Map.of("clusterName", 7))));
      GenericKubernetesResource malformed = decision(Map.of("decisions", "eu-south"));
      GenericKubernetesResource none = new GenericKubernetesResource();
      assertThat(OcmPlacementModel.decidedClusters(List.of(first, malformed, none, second))).containsExactly("eu-west", "eu-north");
      assertThat(OcmPlacementModel.decidedClusters(List.of())).isEmpty();
    }

    @Test
    @DisplayName("a ManifestWork <ns>.<job> in the cluster's namespace, labelled with its job, carrying only the member copy")
    void manifestWork() {
      JobModel job = placed(List.of("eu-west"), null);
      GenericKubernetesResource work = OcmPlacementModel.manifestWork(job, "eu-west");
      assertThat(work.getApiVersion()).isEqualTo("work.open-cluster-management.io/v1");
      assertThat(work.getKind()).isEqualTo("ManifestWork");
      assertThat(work.getMetadata().getName()).isEqualTo("fl.fashion-party-a");
      assertThat(work.getMetadata().getNamespace()).isEqualTo("eu-west");
      assertThat(work.getMetadata().getLabels()).containsOnly(entry("app.kubernetes.io/managed-by", "flotilla-controller"),
          entry("flotilla.dev/placed-job-namespace", "fl"), entry("flotilla.dev/placed-job", "fashion-party-a"));
      assertThat(work.getMetadata().getOwnerReferences()).isEmpty();
      Map<String, Object> spec = (Map<String, Object>) work.getAdditionalProperties().get("spec");
      assertThat((List<Object>) at(spec, "workload", "manifests")).containsExactly(PlacementModel.memberCopy(job));
    }

    static GenericKubernetesResource decision(Map<String, Object> status) {
      GenericKubernetesResource d = new GenericKubernetesResource();
      d.setAdditionalProperty("status", status);
      return d;
    }
  }
}
