package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PartiesModel;
import dev.flotilla.controller.model.RevocationListModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.dns.HostPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.Collection;

/**
 * A Flotilla aggregator's ConfigMap {@code <job>-parties}: the parties its job declares
 * ({@link PartiesModel}) from the party jobs of its namespace as the controller's informers see them,
 * rewritten whenever one comes or goes (the controller enqueues the server job then), and the domain's
 * revocation list {@code flotilla-revoked.<domain>} created empty if missing, never overwritten
 * ({@link RevocationListModel}): the pod mounts both. Condition
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
    ConfigMap desired = desired(model, observed.jobsIn(model.namespace()));
    applier.apply(desired);
    if (RevocationListModel.appliesTo(model)) {
      // the aggregator refuses to start without its revocation list: an empty one until someone revokes
      applier.createIfAbsent(RevocationListModel.empty(model.namespace(), model.domain()));
    }
    int parties = (int) desired.getData().get(PartiesModel.KEY).lines().count();
    return new Observation(StatusModel.PARTIES_FILE_READY, true, "Applied", "ConfigMap " + PartiesModel.configMapName(model)
        + " lists " + parties + (parties == 1 ? " party" : " parties") + " of the namespace's jobs; revocation list ConfigMap "
        + RevocationListModel.configMapName(model.domain()) + " in place");
  }

  /** The parties file of a Flotilla server from the jobs of its namespace. Pure. */
  ConfigMap desired(JobModel server, Collection<IflearnerJob> namespaceJobs) {
    return PartiesModel.configMap(server, PartiesModel.parties(server, namespaceJobs, hosts));
  }
}
