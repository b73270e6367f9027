package dev.flotilla.controller.model;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * For {@code --placement ocm}, on an Open Cluster Management hub: the job's {@code Placement}
 * (cluster.open-cluster-management.io/v1beta1, in the job's namespace, owned by the job), the clusters OCM's placement
 * controller chose for it (its PlacementDecisions' status), and per chosen cluster a {@code ManifestWork}
 * (work.open-cluster-management.io/v1, in that cluster's namespace on the hub) carrying the job, which the cluster's
 * work agent applies and its own Flotilla controller runs. A ManifestWork lives in another namespace than the job, so
 * no owner reference: labels name the job, and the controller's finalizer removes them. Pure.
 */
public final class OcmPlacementModel {

  public static final String PLACEMENT_API_VERSION = "cluster.open-cluster-management.io/v1beta1";
  public static final String PLACEMENT_KIND = "Placement";
  public static final String DECISION_API_VERSION = "cluster.open-cluster-management.io/v1beta1";
  public static final String DECISION_KIND = "PlacementDecision";
  /** The label OCM puts on a Placement's PlacementDecisions (its value: the Placement's name). */
  public static final String DECISION_PLACEMENT_LABEL = "cluster.open-cluster-management.io/placement";
  /** The label OCM's registration sets on a ManagedCluster to its name. */
  public static final String CLUSTER_NAME_LABEL = "open-cluster-management.io/cluster-name";
  public static final String WORK_API_VERSION = "work.open-cluster-management.io/v1";
  public static final String WORK_KIND = "ManifestWork";
  /** Labels of a ManifestWork saying whose it is (a job in another namespace). */
  public static final String PLACED_JOB_NAMESPACE_LABEL = "flotilla.dev/placed-job-namespace";
  public static final String PLACED_JOB_LABEL = "flotilla.dev/placed-job";
  /** Held by a job with ManifestWorks, which are in other namespaces and are removed before the job goes. */
  public static final String FINALIZER = "flotilla.dev/manifestworks";

  private OcmPlacementModel() {}

  /**
   * The Placement: choose from the job's cluster set; when the job names clusters, only clusters with those names
   * (a label selector on OCM's cluster-name label). Call only without a {@link PlacementModel#refusal}.
   */
  public static GenericKubernetesResource placement(JobModel job) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("clusterSets", List.of(PlacementModel.clusterSet(job)));
    List<String> clusters = PlacementModel.clusters(job);
    if (!clusters.isEmpty()) {
      Map<String, Object> inNames = Map.of("key", CLUSTER_NAME_LABEL, "operator", "In", "values", clusters);
      spec.put("predicates", List.of(Map.of("requiredClusterSelector",
          Map.of("labelSelector", Map.of("matchExpressions", List.of(inNames))))));
    }
    GenericKubernetesResource placement = new GenericKubernetesResource();
    placement.setApiVersion(PLACEMENT_API_VERSION);
    placement.setKind(PLACEMENT_KIND);
    placement.setMetadata(new ObjectMetaBuilder()
        .withName(PlacementModel.objectName(job))
        .withNamespace(job.namespace())
        .withLabels(job.labels())
        .withOwnerReferences(job.ownerReference())
        .build());
    placement.setAdditionalProperty("spec", spec);
    return placement;
  }

  /**
   * The clusters the Placement's decisions name, each once, in the decisions' order; an empty or missing clusterName
   * (OCM's "not scheduled yet") is skipped, and so is anything that is not a list of objects.
   */
  public static List<String> decidedClusters(List<GenericKubernetesResource> decisions) {
    Set<String> clusters = new LinkedHashSet<>();
    for (GenericKubernetesResource d : decisions) {
      if (!(d.getAdditionalProperties().get("status") instanceof Map<?, ?> status)
          || !(status.get("decisions") instanceof List<?> list)) {
        continue;
      }
      for (Object entry : list) {
        if (entry instanceof Map<?, ?> decision && decision.get("clusterName") instanceof String name && !name.isEmpty()) {
          clusters.add(name);
        }
      }
    }
    return new ArrayList<>(clusters);
  }

  /** The ManifestWork's name in a cluster's namespace: {@code <job namespace>.<job>}, unique across the hub's jobs. */
  public static String workName(JobModel job) {
    return job.namespace() + "." + job.name();
  }

  /** Why the job's ManifestWork cannot be named (over 253 characters), or empty. */
  public static Optional<String> workNameProblem(JobModel job) {
    String name = workName(job);
    return name.length() <= 253 ? Optional.empty()
        : Optional.of("the ManifestWork name " + name.substring(0, 40) + "... (namespace.job) is " + name.length()
            + " characters, at most 253");
  }

  /** The labels that find a job's ManifestWorks in every cluster namespace. */
  public static Map<String, String> workLabels(JobModel job) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER);
    labels.put(PLACED_JOB_NAMESPACE_LABEL, job.namespace());
    labels.put(PLACED_JOB_LABEL, job.name());
    return labels;
  }

  /** The ManifestWork that brings the job to {@code cluster}: the job's member copy and nothing else. */
  public static GenericKubernetesResource manifestWork(JobModel job, String cluster) {
    GenericKubernetesResource work = new GenericKubernetesResource();
    work.setApiVersion(WORK_API_VERSION);
    work.setKind(WORK_KIND);
    work.setMetadata(new ObjectMetaBuilder()
        .withName(workName(job))
        .withNamespace(cluster)
        .withLabels(workLabels(job))
        .build());
    work.setAdditionalProperty("spec", Map.of("workload", Map.of("manifests", List.of(PlacementModel.memberCopy(job))),
        "manifestConfigs", List.of(PlacementStatusModel.manifestConfig(job))));
    return work;
  }
}
