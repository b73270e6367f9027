package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.KarmadaStatusModel;
import dev.flotilla.controller.model.OcmPlacementModel;
import dev.flotilla.controller.model.PlacementEngine;
import dev.flotilla.controller.model.PlacementModel;
import dev.flotilla.controller.model.PlacementStatusModel;
import dev.flotilla.controller.model.PropagationPolicyModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Hands a job with {@code spec.placement} to the controller's multi-cluster engine instead of running it here:
 * Karmada's PropagationPolicy ({@link PropagationPolicyModel}), or OCM's Placement and one ManifestWork per cluster
 * its placement controller chose ({@link OcmPlacementModel}). Condition {@value PlacementModel#PLACEMENT_READY}:
 * True once the policy or the works are written; False {@code NoDecision} while OCM has chosen no cluster;
 * {@code PlacementRefused} for a placement the engine cannot express (each problem named). The members' reports become
 * the job's {@code status.members}: OCM's works' status feedback ({@link PlacementStatusModel}), Karmada's
 * ResourceBinding's aggregatedStatus ({@link KarmadaStatusModel}).
 */
public final class PlacementStep implements ReconcileStep {

  public static final String FAILED = "PlacementFailed";
  public static final String REFUSED = "PlacementRefused";
  public static final String NO_DECISION = "NoDecision";

  private final KubernetesClient client;
  private final ChildApplier applier;
  private final PlacementEngine engine;

  public PlacementStep(KubernetesClient client, ChildApplier applier, PlacementEngine engine) {
    if (engine == PlacementEngine.NONE) {
      throw new IllegalArgumentException("a placement step needs an engine");
    }
    this.client = client;
    this.applier = applier;
    this.engine = engine;
  }

  public PlacementEngine engine() {
    return engine;
  }

  @Override
  public String conditionType(JobModel job) {
    return PlacementModel.PLACEMENT_READY;
  }

  @Override
  public String failureReason(JobModel job) {
    return FAILED;
  }

  @Override
  public Observation reconcile(JobContext context) {
    JobModel model = context.model();
    Optional<String> refusal = PlacementModel.refusal(model, engine)
        .or(() -> engine == PlacementEngine.OCM ? OcmPlacementModel.workNameProblem(model) : Optional.empty());
    if (refusal.isPresent()) {
      throw new StepFailure(REFUSED, refusal.get());
    }
    return engine == PlacementEngine.KARMADA ? propagate(context, model) : placeWithOcm(context, model);
  }

  private Observation propagate(JobContext context, JobModel model) {
    applier.apply(PropagationPolicyModel.desired(model));
    GenericKubernetesResource binding = client.genericKubernetesResources(KarmadaStatusModel.BINDING_API_VERSION,
        KarmadaStatusModel.BINDING_KIND).inNamespace(model.namespace()).withName(KarmadaStatusModel.bindingName(model)).get();
    context.members(KarmadaStatusModel.members(binding, context.job().getMetadata().getUid()));
    return new Observation(PlacementModel.PLACEMENT_READY, true, "PolicyApplied", "PropagationPolicy "
        + PlacementModel.objectName(model) + " places the job in " + String.join(", ", PlacementModel.clusters(model))
        + " (Karmada schedules it and writes it into each)");
  }

  private Observation placeWithOcm(JobContext context, JobModel model) {
    IflearnerJob job = context.job();
    String placement = PlacementModel.objectName(model);
    applier.apply(OcmPlacementModel.placement(model));
    List<GenericKubernetesResource> decisions = client.genericKubernetesResources(OcmPlacementModel.DECISION_API_VERSION,
        OcmPlacementModel.DECISION_KIND).inNamespace(model.namespace())
        .withLabel(OcmPlacementModel.DECISION_PLACEMENT_LABEL, placement).list().getItems();
    List<String> clusters = OcmPlacementModel.decidedClusters(decisions);
    if (!clusters.isEmpty()) {
      // before the first work: a job deleted meanwhile still has its works removed
      editFinalizer(job, true);
    }
    for (String cluster : clusters) {
      applier.apply(OcmPlacementModel.manifestWork(model, cluster));
    }
    List<GenericKubernetesResource> works = works(model);
    for (GenericKubernetesResource stale : works) {
      if (!clusters.contains(stale.getMetadata().getNamespace())) {
        client.resource(stale).delete();
      }
    }
    context.members(clusters.isEmpty() ? null : PlacementStatusModel.members(clusters, works));
    if (clusters.isEmpty()) {
      editFinalizer(job, false);
      return new Observation(PlacementModel.PLACEMENT_READY, false, NO_DECISION, "Placement " + placement + " (cluster set "
          + PlacementModel.clusterSet(model) + ") has no decision yet: OCM's placement controller has chosen no cluster");
    }
    return new Observation(PlacementModel.PLACEMENT_READY, true, "WorkApplied", "Placement " + placement + " chose "
        + String.join(", ", clusters) + ": ManifestWork " + OcmPlacementModel.workName(model) + " in each");
  }

  /**
   * Takes back what this engine made for a job that is no longer placed (its placement was removed): the policy or
   * Placement it owns, and its ManifestWorks with the finalizer that guards them.
   */
  public void remove(IflearnerJob job, JobModel model) {
    String uid = job.getMetadata().getUid();
    String apiVersion = engine == PlacementEngine.KARMADA ? PropagationPolicyModel.API_VERSION : OcmPlacementModel.PLACEMENT_API_VERSION;
    String kind = engine == PlacementEngine.KARMADA ? PropagationPolicyModel.KIND : OcmPlacementModel.PLACEMENT_KIND;
    GenericKubernetesResource owned = client.genericKubernetesResources(apiVersion, kind).inNamespace(model.namespace())
        .withName(PlacementModel.objectName(model)).get();
    if (owned != null && owned.getMetadata().getOwnerReferences().stream().anyMatch(o -> o.getUid().equals(uid))) {
      client.resource(owned).delete();
    }
    if (engine == PlacementEngine.OCM) {
      finalizeDeletion(job, model);
    }
  }

  /** Deletes the job's ManifestWorks in every cluster namespace, then lets the job go; nothing without the finalizer. */
  public void finalizeDeletion(IflearnerJob job, JobModel model) {
    if (!job.getMetadata().getFinalizers().contains(OcmPlacementModel.FINALIZER)) {
      return;
    }
    for (GenericKubernetesResource work : works(model)) {
      client.resource(work).delete();
    }
    editFinalizer(job, false);
  }

  private List<GenericKubernetesResource> works(JobModel model) {
    return new ArrayList<>(client.genericKubernetesResources(OcmPlacementModel.WORK_API_VERSION, OcmPlacementModel.WORK_KIND)
        .inAnyNamespace().withLabels(OcmPlacementModel.workLabels(model)).list().getItems());
  }

  private void editFinalizer(IflearnerJob job, boolean add) {
    boolean has = job.getMetadata().getFinalizers().contains(OcmPlacementModel.FINALIZER);
    if (has == add) {
      return;
    }
    IflearnerJob edited = client.resources(IflearnerJob.class).inNamespace(job.getMetadata().getNamespace())
        .withName(job.getMetadata().getName()).edit(j -> {
          List<String> finalizers = new ArrayList<>(j.getMetadata().getFinalizers());
          finalizers.remove(OcmPlacementModel.FINALIZER);
          if (add) {
            finalizers.add(OcmPlacementModel.FINALIZER);
          }
          j.getMetadata().setFinalizers(finalizers);
          return j;
        });
    job.getMetadata().setFinalizers(edited.getMetadata().getFinalizers());
  }
}
