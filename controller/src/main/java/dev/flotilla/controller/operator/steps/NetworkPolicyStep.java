package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.model.GatewayRef;
import dev.flotilla.controller.model.IsolationDefaults;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.NetworkPolicyModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

/**
 * The NetworkPolicy around the job's pod ({@link NetworkPolicyModel}), or its removal when the job
 * switches isolation off. Condition {@value StatusModel#NETWORK_POLICY_READY}.
 */
public final class NetworkPolicyStep implements ReconcileStep {

  public static final String FAILED = "NetworkPolicyFailed";

  private final ChildApplier applier;
  private final IsolationDefaults isolation;
  private final GatewayRef gateway;

  /** {@code gateway}: the controller's {@code --gateway} (whose proxies gateway jobs let in), or null. */
  public NetworkPolicyStep(ChildApplier applier, IsolationDefaults isolation, GatewayRef gateway) {
    this.applier = applier;
    this.isolation = isolation;
    this.gateway = gateway;
  }

  @Override
  public String conditionType(JobModel job) {
    return StatusModel.NETWORK_POLICY_READY;
  }

  @Override
  public String failureReason(JobModel job) {
    return FAILED;
  }

  @Override
  public Observation reconcile(JobContext context) {
    JobModel model = context.model();
    NetworkPolicy policy = NetworkPolicyModel.desired(model, context.address().address(), isolation, gateway);
    if (policy == null) {
      applier.delete(NetworkPolicy.class, model.namespace(), model.networkPolicyName(), model.job().getMetadata().getUid());
      return new Observation(StatusModel.NETWORK_POLICY_READY, true, "Disabled", "spec.isolation.enabled is false");
    }
    applier.apply(policy);
    return new Observation(StatusModel.NETWORK_POLICY_READY, true, "Applied",
        "NetworkPolicy " + model.networkPolicyName() + " lets in only the job's peers, the ingress and metrics scrapers");
  }
}
