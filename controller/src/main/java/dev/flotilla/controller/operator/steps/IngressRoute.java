package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The job's Ingress for ingress-nginx ({@link IngressModel}: SSL passthrough, or terminate with gRPC
 * to the pod); the address ingress-nginx publishes in its status is the job's ingress address when
 * neither the job nor the controller names one. Condition {@value StatusModel#INGRESS_READY}.
 */
public final class IngressRoute implements RouteKind {

  public static final String FAILED = "IngressFailed";

  private final KubernetesClient client;
  private final ChildApplier applier;

  public IngressRoute(KubernetesClient client, ChildApplier applier) {
    this.client = client;
    this.applier = applier;
  }

  @Override
  public boolean serves(JobModel job) {
    return true;
  }

  @Override
  public String conditionType() {
    return StatusModel.INGRESS_READY;
  }

  @Override
  public String failureReason() {
    return FAILED;
  }

  @Override
  public Observation apply(JobContext context) {
    JobModel model = context.model();
    Ingress desired = IngressModel.desired(model);
    if (desired == null) {
      return new Observation(StatusModel.INGRESS_READY, true, "NoHost", "spec.host is empty: no Ingress");
    }
    applier.apply(desired);
    context.routeStatusAddress(statusAddress(client.resource(desired).get()));
    return new Observation(StatusModel.INGRESS_READY, true, "Applied",
        "Ingress " + model.ingressName() + " routes " + model.host() + " (" + model.tlsMode().wireName() + ") to "
            + model.serviceName() + ":" + model.grpcPort());
  }

  @Override
  public void remove(JobContext context) {
    JobModel model = context.model();
    applier.delete(Ingress.class, model.namespace(), model.ingressName(), model.job().getMetadata().getUid());
  }

  /** The address ingress-nginx published in the Ingress status, or null. */
  static String statusAddress(Ingress ingress) {
    if (ingress != null && ingress.getStatus() != null && ingress.getStatus().getLoadBalancer() != null
        && ingress.getStatus().getLoadBalancer().getIngress() != null) {
      for (IngressLoadBalancerIngress lb : ingress.getStatus().getLoadBalancer().getIngress()) {
        if (lb.getIp() != null && !lb.getIp().isBlank()) {
          return lb.getIp();
        }
      }
    }
    return null;
  }
}
