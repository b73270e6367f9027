package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.PlacementSpec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What both engines share: whether a job is placed, the checks of {@code spec.placement}, and the job as a member
 * cluster receives it. What is placed is the IflearnerJob itself, never its children: each member cluster runs its
 * own Flotilla controller, which makes the job's key, certificate, Service, route and pod there, so no private key
 * travels through the hub (a propagated {@code <job>-tls} Secret would carry one). Pure.
 */
public final class PlacementModel {

  /** The one condition of a placed job besides its admission. */
  public static final String PLACEMENT_READY = "PlacementReady";
  /** OCM's set of every managed cluster, the default {@code clusterSet}. */
  public static final String DEFAULT_CLUSTER_SET = "global";
  public static final int MAX_CLUSTERS = 100;

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private PlacementModel() {}

  /** True when {@code engine} is on and the job names a placement: the job is handed over, not run here. */
  public static boolean placed(JobModel job, PlacementEngine engine) {
    return engine != PlacementEngine.NONE && job.spec().getPlacement() != null;
  }

  /** Whether {@code name} can be a member cluster's name (a DNS label, as both engines require). */
  static boolean isClusterName(String name) {
    return name != null && DNS_LABEL.matcher(name).matches();
  }

  /** The clusters the job names, in its order (empty when none). */
  public static List<String> clusters(JobModel job) {
    PlacementSpec p = job.spec().getPlacement();
    return p == null || p.getClusters() == null ? List.of() : List.copyOf(p.getClusters());
  }

  /** The OCM cluster set to choose from. */
  public static String clusterSet(JobModel job) {
    PlacementSpec p = job.spec().getPlacement();
    return p == null || p.getClusterSet() == null ? DEFAULT_CLUSTER_SET : p.getClusterSet();
  }

  /** Every problem with the job's {@code spec.placement} under {@code engine}, in one sentence; empty when none. */
  public static Optional<String> refusal(JobModel job, PlacementEngine engine) {
    PlacementSpec p = job.spec().getPlacement();
    List<String> problems = new ArrayList<>();
    List<String> clusters = clusters(job);
    if (engine == PlacementEngine.KARMADA) {
      if (clusters.isEmpty()) {
        problems.add("spec.placement.clusters is empty: a Karmada PropagationPolicy needs the member clusters by name");
      }
      if (p.getClusterSet() != null) {
        problems.add("spec.placement.clusterSet is an OCM ManagedClusterSet, which Karmada does not have: name the "
            + "clusters instead");
      }
    }
    if (clusters.size() > MAX_CLUSTERS) {
      problems.add("spec.placement.clusters names " + clusters.size() + " clusters, at most " + MAX_CLUSTERS);
    }
    Set<String> seen = new HashSet<>();
    for (String c : clusters) {
      if (c == null || !DNS_LABEL.matcher(c).matches()) {
        problems.add("cluster '" + c + "' is not a cluster name (1-63 lower-case letters, digits, '-')");
      } else if (!seen.add(c)) {
        problems.add("cluster '" + c + "' is named twice");
      }
    }
    if (engine == PlacementEngine.OCM && p.getClusterSet() != null && !DNS_LABEL.matcher(p.getClusterSet()).matches()) {
      problems.add("clusterSet '" + p.getClusterSet() + "' is not a ManagedClusterSet name (1-63 lower-case letters, digits, '-')");
    }
    return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
  }

  /**
   * The job as a member cluster gets it: its kind, name, namespace, labels and whole spec, with nothing the hub's
   * API server wrote (uid, resourceVersion, finalizers, owner references, status).
   */
  public static Map<String, Object> memberCopy(JobModel job) {
    Map<String, Object> metadata = new java.util.LinkedHashMap<>();
    metadata.put("name", job.name());
    metadata.put("namespace", job.namespace());
    Map<String, String> labels = job.job().getMetadata().getLabels();
    if (labels != null && !labels.isEmpty()) {
      metadata.put("labels", Map.copyOf(labels));
    }
    Map<String, Object> copy = new java.util.LinkedHashMap<>();
    copy.put("apiVersion", HasMetadata.getApiVersion(IflearnerJob.class));
    copy.put("kind", HasMetadata.getKind(IflearnerJob.class));
    copy.put("metadata", metadata);
    copy.put("spec", io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().convertValue(job.spec(), Map.class));
    return copy;
  }

  /** The name of the job's PropagationPolicy or Placement: {@code <job>-placement}. */
  public static String objectName(JobModel job) {
    return job.name() + "-placement";
  }
}
