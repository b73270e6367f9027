package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobStatus;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PodOutcome;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.List;

/**
 * The last step: the job's status ({@link StatusModel}) from every step's observation and the pod's
 * outcome, written through the status subresource only when it differs from the job's latest status.
 * It reports no condition of its own: it is where the others are reported.
 */
public final class StatusStep {

  private final KubernetesClient client;
  private final Clock clock;

  public StatusStep(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /** Writes the status after a chain of steps; {@code context.failures()} non-empty makes the phase Error (unless the pod ended). */
  public void write(JobContext context) {
    write(context.model(), context.observations(), context.outcome(), !context.failures().isEmpty());
  }

  /** Writes the status from explicit observations (a refused job reports only its HostAccepted). */
  public void write(JobModel model, List<Observation> observations, PodOutcome outcome, boolean failed) {
    IflearnerJob latest = client.resources(IflearnerJob.class).inNamespace(model.namespace()).withName(model.name()).get();
    if (latest == null) {
      return;
    }
    IflearnerJobStatus status = StatusModel.build(model, latest.getStatus(), observations, outcome, failed, clock.instant());
    if (status.equals(latest.getStatus())) {
      return;
    }
    latest.setStatus(status);
    client.resource(latest).patchStatus();
  }
}
