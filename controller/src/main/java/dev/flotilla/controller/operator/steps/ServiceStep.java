package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.ServiceModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;

/** The job's Service ({@link ServiceModel}): its pod on the gRPC port (and metrics for a server). Condition {@value StatusModel#SERVICE_READY}. */
public final class ServiceStep implements ReconcileStep {

  public static final String FAILED = "ServiceFailed";

  private final ChildApplier applier;

  public ServiceStep(ChildApplier applier) {
    this.applier = applier;
  }

  @Override
  public String conditionType(JobModel job) {
    return StatusModel.SERVICE_READY;
  }

  @Override
  public String failureReason(JobModel job) {
    return FAILED;
  }

  @Override
  public Observation reconcile(JobContext context) {
    JobModel model = context.model();
    applier.apply(ServiceModel.desired(model));
    return new Observation(StatusModel.SERVICE_READY, true, "Applied", "Service " + model.serviceName()
        + " selects the job's pod on port " + model.grpcPort());
  }
}
