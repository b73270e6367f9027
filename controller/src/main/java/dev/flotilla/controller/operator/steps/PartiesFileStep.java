package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PartiesModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.dns.HostPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.SortedSet;

/**
 * A Flotilla aggregator's ConfigMap {@code <job>-parties}: the parties its job declares
 * ({@link PartiesModel}) from the party jobs of its namespace as the controller's informers see them,
 * rewritten whenever one comes or goes (the controller enqueues the server job then). Condition
 * {@value StatusModel#PARTIES_FILE_READY}, for Flotilla servers only; for any other job the step
 * removes a parties file it owns and reports nothing.
 */
public final class PartiesFileStep implements ReconcileStep {

  public static final String FAILED = "PartiesFileFailed";

  private final ChildApplier applier;
  private final ObservedState observed;
  private final HostPolicy hosts;

  public PartiesFileStep(ChildApplier applier, ObservedState observed, HostPolicy hosts) {
    this.applier = applier;
    this.observed = observed;
    this.hosts = hosts;
  }

  @Override
  public String conditionType(JobModel job) {
    return StatusModel.PARTIES_FILE_READY;
  }

  @Override
  public String failureReason(JobModel job) {
    return FAILED;
  }

  @Override
  public Observation reconcile(JobContext context) {
    JobModel model = context.model();
    if (!PartiesModel.appliesTo(model)) {
      applier.delete(ConfigMap.class, model.namespace(), PartiesModel.configMapName(model), model.job().getMetadata().getUid());
      return null;
    }
    SortedSet<String> parties = PartiesModel.parties(model, observed.jobsIn(model.namespace()), hosts);
    applier.apply(PartiesModel.configMap(model, parties));
    return new Observation(StatusModel.PARTIES_FILE_READY, true, "Applied", "ConfigMap " + PartiesModel.configMapName(model)
        + " lists " + parties.size() + (parties.size() == 1 ? " party" : " parties") + " of the namespace's jobs");
  }
}
