package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.MemberStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What OCM reports back to the hub about a placed job, without I/O: each ManifestWork asks the cluster's work agent
 * for the job's {@code status.phase} ({@link #manifestConfig}, a JSONPaths feedback rule), and the agent writes it into
 * the work's {@code status.resourceStatus.manifests[].statusFeedback}; {@link #members} turns the works into the
 * hub job's {@code status.members}, one per decided cluster.
 */
public final class PlacementStatusModel {
  /** The feedback value's name. */
  public static final String PHASE = "phase";
  public static final String APPLIED = "Applied";
  public static final String PENDING = "Pending";
  /** A phase longer than this is not a phase: cut, so a member cannot grow the hub's status without bound. */
  static final int MAX_PHASE = 63;

  private PlacementStatusModel() {}

  /** The ManifestWork's {@code spec.manifestConfigs} entry: feed the member job's {@code status.phase} back. */
  public static Map<String, Object> manifestConfig(JobModel job) {
    Map<String, Object> identifier = Map.of("group", IflearnerJob.GROUP, "resource", "iflearnerjobs", "namespace", job.namespace(),
        "name", job.name());
    Map<String, Object> rule = Map.of("type", "JSONPaths", "jsonPaths", List.of(Map.of("name", PHASE, "path", ".phase")));
    return Map.of("resourceIdentifier", identifier, "feedbackRules", List.of(rule));
  }

  /**
   * One entry per cluster of {@code clusters}, in name order: the phase the cluster's work fed back, else
   * {@value #APPLIED} when its work says Applied=True, else {@value #PENDING} (no work or no status yet).
   */
  public static List<MemberStatus> members(List<String> clusters, List<GenericKubernetesResource> works) {
    List<MemberStatus> out = new ArrayList<>();
    for (String cluster : clusters) {
      GenericKubernetesResource work = works.stream().filter(w -> cluster.equals(w.getMetadata().getNamespace())).findFirst().orElse(null);
      out.add(new MemberStatus(cluster, phase(work)));
    }
    out.sort(Comparator.comparing(MemberStatus::getCluster));
    return out;
  }

  static String phase(GenericKubernetesResource work) {
    if (work == null || !(work.getAdditionalProperties().get("status") instanceof Map<?, ?> status)) {
      return PENDING;
    }
    if (status.get("resourceStatus") instanceof Map<?, ?> resources && resources.get("manifests") instanceof List<?> manifests) {
      for (Object m : manifests) {
        if (m instanceof Map<?, ?> manifest && isJob(manifest.get("resourceMeta"))
            && manifest.get("statusFeedback") instanceof Map<?, ?> feedback && feedback.get("values") instanceof List<?> values) {
          for (Object v : values) {
            if (v instanceof Map<?, ?> value && PHASE.equals(value.get("name")) && value.get("fieldValue") instanceof Map<?, ?> field
                && field.get("string") instanceof String phase && !phase.isBlank()) {
              return phase.length() > MAX_PHASE ? phase.substring(0, MAX_PHASE) : phase;
            }
          }
        }
      }
    }
    if (status.get("conditions") instanceof List<?> conditions) {
      for (Object c : conditions) {
        if (c instanceof Map<?, ?> condition && APPLIED.equals(condition.get("type")) && "True".equals(condition.get("status"))) {
          return APPLIED;
        }
      }
    }
    return PENDING;
  }

  /** The jobs of {@code jobs} whose Placement a PlacementDecision belongs to (its placement label); unreadable jobs are skipped. */
  public static List<IflearnerJob> jobsDecidedBy(HasMetadata decision, List<IflearnerJob> jobs) {
    String placement = decision.getMetadata().getLabels() == null ? null
        : decision.getMetadata().getLabels().get(OcmPlacementModel.DECISION_PLACEMENT_LABEL);
    List<IflearnerJob> out = new ArrayList<>();
    for (IflearnerJob job : jobs) {
      try {
        if (PlacementModel.objectName(new JobModel(job)).equals(placement)) {
          out.add(job);
        }
      } catch (RuntimeException e) {
        // a job without a spec: its own reconcile says what is wrong
      }
    }
    return out;
  }

  /** The {@code namespace/name} of the job a ManifestWork carries (its labels), or null when it names none. */
  public static String jobOfWork(HasMetadata work) {
    Map<String, String> labels = work.getMetadata().getLabels();
    if (labels == null || labels.get(OcmPlacementModel.PLACED_JOB_NAMESPACE_LABEL) == null
        || labels.get(OcmPlacementModel.PLACED_JOB_LABEL) == null) {
      return null;
    }
    return labels.get(OcmPlacementModel.PLACED_JOB_NAMESPACE_LABEL) + "/" + labels.get(OcmPlacementModel.PLACED_JOB_LABEL);
  }

  private static boolean isJob(Object meta) {
    return meta instanceof Map<?, ?> m && IflearnerJob.GROUP.equals(m.get("group"))
        && ("iflearnerjobs".equals(m.get("resource")) || IflearnerJob.KIND.equals(m.get("kind")));
  }
}
