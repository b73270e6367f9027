package dev.flotilla.controller.operator;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PartiesModel;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/**
 * A Flotilla aggregator's ConfigMap {@code <job>-parties}: the parties its job declares
 * ({@link PartiesModel}), rewritten whenever a party job of the namespace comes or goes (the
 * controller enqueues the server job then). Removed when the job stops being a Flotilla server.
 */
public final class PartiesStep {

  private final KubernetesClient client;
  private final ChildApplier applier;
  private final ControllerConfig config;

  public PartiesStep(KubernetesClient client, ChildApplier applier, ControllerConfig config) {
    this.client = client;
    this.applier = applier;
    this.config = config;
  }

  public ApplyOutcome apply(JobModel model) {
    if (!PartiesModel.appliesTo(model)) {
      return applier.delete(ConfigMap.class, model.namespace(), PartiesModel.configMapName(model), model.job().getMetadata().getUid());
    }
    List<IflearnerJob> jobs = client.resources(IflearnerJob.class).inNamespace(model.namespace()).list().getItems();
    return applier.apply(PartiesModel.configMap(model, PartiesModel.parties(model, jobs, config.publish().hosts())));
  }
}
