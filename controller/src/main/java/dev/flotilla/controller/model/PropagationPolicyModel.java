package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJob;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;

/**
 * The job's Karmada {@code PropagationPolicy} (policy.karmada.io/v1alpha1) for {@code --placement karmada}: the
 * controller then runs against karmada-apiserver, where the job is a resource template, and the policy selects that
 * one job by kind and name and names the member clusters (clusterAffinity.clusterNames); Karmada's scheduler binds
 * it and its execution controller writes the job into each member, whose own Flotilla controller runs it. Owned by
 * the job, so it goes with it. Pure; call only without a {@link PlacementModel#refusal}.
 */
public final class PropagationPolicyModel {

  public static final String API_VERSION = "policy.karmada.io/v1alpha1";
  public static final String KIND = "PropagationPolicy";

  private PropagationPolicyModel() {}

  public static GenericKubernetesResource desired(JobModel job) {
    Map<String, Object> selector = Map.of(
        "apiVersion", HasMetadata.getApiVersion(IflearnerJob.class),
        "kind", HasMetadata.getKind(IflearnerJob.class),
        "name", job.name());
    Map<String, Object> placement = Map.of("clusterAffinity", Map.of("clusterNames", PlacementModel.clusters(job)));
    GenericKubernetesResource policy = new GenericKubernetesResource();
    policy.setApiVersion(API_VERSION);
    policy.setKind(KIND);
    policy.setMetadata(new ObjectMetaBuilder()
        .withName(PlacementModel.objectName(job))
        .withNamespace(job.namespace())
        .withLabels(job.labels())
        .withOwnerReferences(job.ownerReference())
        .build());
    policy.setAdditionalProperty("spec", Map.of("resourceSelectors", List.of(selector), "placement", placement));
    return policy;
  }
}
