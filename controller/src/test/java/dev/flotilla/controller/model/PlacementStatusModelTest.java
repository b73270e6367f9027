package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.MemberStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PlacementStatusModel: each member cluster's phase of a placed job, from OCM's ManifestWork status feedback")
class PlacementStatusModelTest {
  static final JobModel PARTY = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", "hub"));

  static GenericKubernetesResource work(String cluster, Map<String, Object> status) {
    GenericKubernetesResource w = OcmPlacementModel.manifestWork(PARTY, cluster);
    if (status != null) {
      w.setAdditionalProperty("status", status);
    }
    return w;
  }

  static Map<String, Object> fedBack(String phase, Map<String, Object> meta) {
    return Map.of("resourceStatus", Map.of("manifests", List.of(Map.of("resourceMeta", meta, "conditions", List.of(),
        "statusFeedback", Map.of("values", List.of(Map.of("name", "phase", "fieldValue", Map.of("type", "String", "string", phase))))))));
  }

  static final Map<String, Object> JOB_META = Map.of("group", "git.iflytek.com", "resource", "iflearnerjobs", "kind", "IflearnerJob",
      "name", "fashion-party-a", "namespace", "hub", "ordinal", 0);

  @Test
  @DisplayName("the work asks the cluster's agent for the job's status.phase: a JSONPaths rule on exactly the job it carries")
  void feedbackRule() {
    Map<String, Object> spec = (Map<String, Object>) OcmPlacementModel.manifestWork(PARTY, "eu-west").getAdditionalProperties().get("spec");
    assertThat(spec.get("manifestConfigs")).isEqualTo(List.of(Map.of(
        "resourceIdentifier", Map.of("group", "git.iflytek.com", "resource", "iflearnerjobs", "namespace", "hub", "name", "fashion-party-a"),
        "feedbackRules", List.of(Map.of("type", "JSONPaths", "jsonPaths", List.of(Map.of("name", "phase", "path", ".phase")))))));
  }

  @Test
  @DisplayName("per decided cluster, in name order: the fed-back phase, else Applied (Applied=True), else Pending (no work, no status); "
      + "feedback of another resource, an empty or absent value is not a phase; a long one is cut")
  void members() {
    List<GenericKubernetesResource> works = List.of(
        work("eu-west", fedBack("Running", JOB_META)),
        work("eu-north", Map.of("conditions", List.of(Map.of("type", "Applied", "status", "True")))),
        work("ap-east", fedBack("Running", Map.of("group", "", "resource", "configmaps", "name", "x", "ordinal", 0))),
        work("ap-south", fedBack("", JOB_META)),
        work("us-east", null),
        work("stale", fedBack("Succeeded", JOB_META)));
    assertThat(PlacementStatusModel.members(List.of("eu-west", "eu-north", "ap-east", "ap-south", "us-east", "us-west"), works))
        .containsExactly(new MemberStatus("ap-east", "Pending"), new MemberStatus("ap-south", "Pending"),
            new MemberStatus("eu-north", "Applied"), new MemberStatus("eu-west", "Running"), new MemberStatus("us-east", "Pending"),
            new MemberStatus("us-west", "Pending"));
    assertThat(PlacementStatusModel.members(List.of("eu-west"), List.of(work("eu-west", fedBack("x".repeat(500), JOB_META)))))
        .singleElement().satisfies(m -> assertThat(m.getPhase()).hasSize(63));
  }

  @Test
  @DisplayName("a decision brings back the jobs of its Placement; a work the job it carries")
  void eventsToJobs() {
    IflearnerJob a = Samples.load("flotilla-fashion-mnist/party-a.yaml", "hub");
    IflearnerJob b = Samples.load("flotilla-fashion-mnist/party-b.yaml", "hub");
    GenericKubernetesResource decision = new GenericKubernetesResource();
    decision.setMetadata(new ObjectMetaBuilder().withName("fashion-party-a-placement-decision-1").withNamespace("hub")
        .addToLabels(OcmPlacementModel.DECISION_PLACEMENT_LABEL, PlacementModel.objectName(PARTY)).build());
    assertThat(PlacementStatusModel.jobsDecidedBy(decision, List.of(a, b, new IflearnerJob()))).containsExactly(a);
    assertThat(PlacementStatusModel.jobOfWork(work("eu-west", null))).isEqualTo("hub/fashion-party-a");
    GenericKubernetesResource foreign = new GenericKubernetesResource();
    foreign.setMetadata(new ObjectMetaBuilder().withName("other").withNamespace("eu-west").build());
    assertThat(PlacementStatusModel.jobOfWork(foreign)).isNull();
  }
}
