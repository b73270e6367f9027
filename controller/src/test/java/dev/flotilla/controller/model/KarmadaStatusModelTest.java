package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.MemberStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("KarmadaStatusModel: each member cluster's report of a propagated job, from Karmada's ResourceBinding")
class KarmadaStatusModelTest {
  static final JobModel PARTY = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", "hub"));
  static final String UID = "0f6a7c1e-1111-4d1a-9c1e-000000000001";

  /** A binding as Karmada's detector makes it: spec.resource is the job; clusters and status as given. */
  static GenericKubernetesResource binding(String namespace, Map<String, Object> resource, List<String> scheduled,
      List<Map<String, Object>> aggregated) {
    GenericKubernetesResource b = new GenericKubernetesResource();
    b.setApiVersion("work.karmada.io/v1alpha2");
    b.setKind("ResourceBinding");
    b.setMetadata(new ObjectMetaBuilder().withName("fashion-party-a-iflearnerjob").withNamespace(namespace).build());
    Map<String, Object> spec = new HashMap<>();
    spec.put("resource", resource);
    spec.put("clusters", scheduled.stream().map(c -> Map.of("name", c)).toList());
    b.setAdditionalProperty("spec", spec);
    if (aggregated != null) {
      b.setAdditionalProperty("status", Map.of("aggregatedStatus", aggregated));
    }
    return b;
  }

  static Map<String, Object> theJob() {
    return Map.of("apiVersion", "git.iflytek.com/v1", "kind", "IflearnerJob", "namespace", "hub", "name", "fashion-party-a", "uid", UID);
  }

  static Map<String, Object> item(String cluster, Object applied, String health, Map<String, Object> status, String message) {
    Map<String, Object> item = new HashMap<>();
    item.put("clusterName", cluster);
    if (applied != null) {
      item.put("applied", applied);
    }
    if (health != null) {
      item.put("health", health);
    }
    if (status != null) {
      item.put("status", status);
    }
    if (message != null) {
      item.put("appliedMessage", message);
    }
    return item;
  }

  static MemberStatus member(String cluster, String phase, String health, String message) {
    MemberStatus m = new MemberStatus(cluster, phase);
    m.setHealth(health);
    m.setMessage(message);
    return m;
  }

  @Test
  @DisplayName("the binding's name is Karmada's: the job's name and kind, lower case")
  void bindingName() {
    assertThat(KarmadaStatusModel.bindingName(PARTY)).isEqualTo("fashion-party-a-iflearnerjob");
  }

  @Test
  @DisplayName("per cluster, in name order: the reflected status.phase, else Applied, else ApplyFailed with Karmada's message, "
      + "else Pending (scheduled, no report); health when Karmada gave one of its three values; a status without phase, an "
      + "empty phase or a failure without message is no phase")
  void members() {
    GenericKubernetesResource b = binding("hub", theJob(), List.of("eu-west", "eu-north", "us-east", "ap-east", "ap-south"), List.of(
        item("eu-west", true, "Healthy", Map.of("phase", "Running", "round", 3), null),
        item("eu-north", true, "Unknown", Map.of("conditions", List.of()), null),
        item("us-east", false, null, null, "admission webhook denied the request"),
        item("ap-east", false, "Sick", Map.of("phase", ""), null),
        item("us-west", null, "Unhealthy", Map.of("phase", "Failed"), null)));
    assertThat(KarmadaStatusModel.members(b, UID)).containsExactly(
        member("ap-east", "Pending", null, null),
        member("ap-south", "Pending", null, null),
        member("eu-north", "Applied", "Unknown", null),
        member("eu-west", "Running", "Healthy", null),
        member("us-east", "ApplyFailed", null, "admission webhook denied the request"),
        member("us-west", "Failed", "Unhealthy", null));
  }

  @Test
  @DisplayName("no binding, a binding of another job with the same name (other uid), or one without spec.resource: no members")
  void notThisJob() {
    assertThat(KarmadaStatusModel.members(null, UID)).isNull();
    Map<String, Object> other = new HashMap<>(theJob());
    other.put("uid", "another");
    assertThat(KarmadaStatusModel.members(binding("hub", other, List.of("eu-west"), null), UID)).isNull();
    GenericKubernetesResource noResource = binding("hub", theJob(), List.of("eu-west"), null);
    noResource.setAdditionalProperty("spec", Map.of("clusters", List.of(Map.of("name", "eu-west"))));
    assertThat(KarmadaStatusModel.members(noResource, UID)).isNull();
    assertThat(KarmadaStatusModel.members(binding("hub", theJob(), List.of(), null), UID)).isEmpty();
  }

  @Test
  @DisplayName("a hostile report is bounded: a phase cut to 63, a message to 256, names that are no cluster name skipped, "
      + "at most 100 members of 5000")
  void bounded() {
    List<Map<String, Object>> flood = new ArrayList<>(IntStream.range(0, 5000)
        .mapToObj(i -> item("c%04d".formatted(i), true, null, null, null)).toList());
    flood.add(item("eu-west", true, null, Map.of("phase", "R".repeat(100_000)), null));
    flood.add(item("eu-north", false, null, null, "m".repeat(100_000)));
    flood.add(item("Not_A_Cluster", true, null, null, null));
    flood.add(item("x".repeat(64), true, null, null, null));
    List<MemberStatus> members = KarmadaStatusModel.members(binding("hub", theJob(), List.of("../etc", "eu-west"), flood), UID);
    assertThat(members).hasSize(100).allSatisfy(m -> assertThat(m.getCluster()).matches("c0\\d{3}"));
    List<MemberStatus> few = KarmadaStatusModel.members(binding("hub", theJob(), List.of(), flood.subList(5000, 5004)), UID);
    assertThat(few).extracting(MemberStatus::getCluster).containsExactly("eu-north", "eu-west");
    assertThat(few.get(0).getMessage()).hasSize(256);
    assertThat(few.get(1).getPhase()).hasSize(63);
  }

  @Test
  @DisplayName("a binding leads back to its job in its own namespace; another kind, another group, or another namespace does not")
  void jobOfBinding() {
    assertThat(KarmadaStatusModel.jobOfBinding(binding("hub", theJob(), List.of(), null))).isEqualTo("hub/fashion-party-a");
    assertThat(KarmadaStatusModel.jobOfBinding(binding("hub", Map.of("apiVersion", "apps/v1", "kind", "Deployment", "name", "web"),
        List.of(), null))).isNull();
    assertThat(KarmadaStatusModel.jobOfBinding(binding("hub", Map.of("apiVersion", "example.com/v1", "kind", "IflearnerJob",
        "name", "x"), List.of(), null))).isNull();
    assertThat(KarmadaStatusModel.jobOfBinding(binding("elsewhere", theJob(), List.of(), null))).isNull();
  }
}
