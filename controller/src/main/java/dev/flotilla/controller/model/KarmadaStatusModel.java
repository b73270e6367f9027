package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.MemberStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What Karmada reports back to karmada-apiserver about a propagated job, without I/O. Karmada's detector binds the
 * job (a resource template) to its PropagationPolicy in a ResourceBinding (work.karmada.io/v1alpha2) named
 * {@code <job>-iflearnerjob} beside it; its scheduler writes the chosen clusters into {@code spec.clusters}, and its
 * status controller writes one {@code status.aggregatedStatus} item per member: {@code applied} (and
 * {@code appliedMessage} when it failed), {@code health}, and {@code status}, the member job's whole {@code .status}
 * (Karmada's default interpreter reflects a custom resource's status unchanged). {@link #members} turns that into the
 * hub job's {@code status.members}. Everything read is bounded: a member cluster writes {@code status}, so its size
 * is not Flotilla's to trust.
 */
public final class KarmadaStatusModel {
  public static final String BINDING_API_VERSION = "work.karmada.io/v1alpha2";
  public static final String BINDING_KIND = "ResourceBinding";
  public static final String APPLY_FAILED = "ApplyFailed";
  /** Karmada's health values; anything else is not reported. */
  static final Set<String> HEALTH = Set.of("Healthy", "Unhealthy", "Unknown");
  /** An apply error longer than this is cut: it is for a person to read, and a member writes it. */
  static final int MAX_MESSAGE = 256;

  private KarmadaStatusModel() {}

  /** Karmada's name for the job's binding ({@code names.GenerateBindingName}: name and kind, lower case). */
  public static String bindingName(JobModel job) {
    return (job.name() + "-" + IflearnerJob.KIND).toLowerCase(Locale.ROOT);
  }

  /**
   * One entry per member cluster the binding names (scheduled in {@code spec.clusters} or reporting in
   * {@code status.aggregatedStatus}), in name order: the member job's {@code status.phase}, else
   * {@value PlacementStatusModel#APPLIED} when applied, {@value #APPLY_FAILED} (with Karmada's message) when its apply
   * failed, {@value PlacementStatusModel#PENDING} before any report; with Karmada's health when it gave one. Null
   * when there is no binding, or it binds another job of the same name (a uid that is not {@code jobUid}). Names that
   * are no cluster name are skipped; at most {@link PlacementModel#MAX_CLUSTERS} members.
   */
  public static List<MemberStatus> members(GenericKubernetesResource binding, String jobUid) {
    if (binding == null || !bindsJob(binding, jobUid)) {
      return null;
    }
    Map<String, MemberStatus> byCluster = new TreeMap<>();
    if (binding.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec && spec.get("clusters") instanceof List<?> clusters) {
      for (Object c : clusters) {
        if (c instanceof Map<?, ?> target && target.get("name") instanceof String name && PlacementModel.isClusterName(name)) {
          byCluster.put(name, new MemberStatus(name, PlacementStatusModel.PENDING));
        }
      }
    }
    if (binding.getAdditionalProperties().get("status") instanceof Map<?, ?> status
        && status.get("aggregatedStatus") instanceof List<?> items) {
      for (Object i : items) {
        if (i instanceof Map<?, ?> item && item.get("clusterName") instanceof String name && PlacementModel.isClusterName(name)) {
          byCluster.put(name, member(name, item));
        }
      }
    }
    List<MemberStatus> out = new ArrayList<>(byCluster.values());
    return out.size() > PlacementModel.MAX_CLUSTERS ? new ArrayList<>(out.subList(0, PlacementModel.MAX_CLUSTERS)) : out;
  }

  static MemberStatus member(String cluster, Map<?, ?> item) {
    MemberStatus member = new MemberStatus(cluster, PlacementStatusModel.PENDING);
    if (item.get("status") instanceof Map<?, ?> reflected && reflected.get("phase") instanceof String phase && !phase.isBlank()) {
      member.setPhase(cut(phase, PlacementStatusModel.MAX_PHASE));
    } else if (Boolean.TRUE.equals(item.get("applied"))) {
      member.setPhase(PlacementStatusModel.APPLIED);
    } else if (Boolean.FALSE.equals(item.get("applied")) && item.get("appliedMessage") instanceof String message && !message.isBlank()) {
      member.setPhase(APPLY_FAILED);
      member.setMessage(cut(message, MAX_MESSAGE));
    }
    if (item.get("health") instanceof String health && HEALTH.contains(health)) {
      member.setHealth(health);
    }
    return member;
  }

  /**
   * The {@code namespace/name} of the job a ResourceBinding binds ({@code spec.resource}, an IflearnerJob in the
   * binding's own namespace, as Karmada makes it), or null when it binds something else.
   */
  public static String jobOfBinding(HasMetadata binding) {
    if (!(binding instanceof GenericKubernetesResource generic) || !(generic.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec)
        || !(spec.get("resource") instanceof Map<?, ?> resource)) {
      return null;
    }
    String namespace = binding.getMetadata().getNamespace();
    boolean job = IflearnerJob.KIND.equals(resource.get("kind")) && resource.get("apiVersion") instanceof String apiVersion
        && apiVersion.startsWith(IflearnerJob.GROUP + "/") && resource.get("name") instanceof String
        && (resource.get("namespace") == null || resource.get("namespace").equals(namespace));
    return job ? namespace + "/" + resource.get("name") : null;
  }

  private static boolean bindsJob(GenericKubernetesResource binding, String jobUid) {
    if (!(binding.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec) || !(spec.get("resource") instanceof Map<?, ?> resource)) {
      return false;
    }
    return resource.get("uid") == null || jobUid == null || resource.get("uid").equals(jobUid);
  }

  private static String cut(String text, int max) {
    return text.length() > max ? text.substring(0, max) : text;
  }
}
