package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.Route;
import dev.flotilla.controller.model.GatewayModel;
import dev.flotilla.controller.model.GatewayRef;
import dev.flotilla.controller.model.IngressAddressChoice;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.model.TLSRouteModel;
import dev.flotilla.controller.operator.ChildApplier;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.k8s.networking.gateway.v1.TLSRoute;
import io.k8s.networking.gateway.v1.tlsroutestatus.parents.Conditions;
import java.util.Optional;

/**
 * The job's Gateway API TLSRoute ({@link TLSRouteModel}) on the controller's Gateway listener, for
 * a job with {@code spec.route: gateway}; the first IP address in the Gateway's status is the job's
 * ingress address when neither the job nor the controller names one. Condition
 * {@value StatusModel#TLS_ROUTE_READY}: False when the job cannot have a TLSRoute (terminate mode, no
 * {@code --gateway}), when the Gateway or its passthrough listener is missing, or when the
 * Gateway's implementation did not accept the route (its reason and message).
 */
public final class GatewayRoute implements RouteKind {

  public static final String FAILED = "TLSRouteFailed";
  public static final String REFUSED = "GatewayRouteRefused";
  public static final String LISTENER_UNUSABLE = "GatewayListenerUnusable";
  public static final String NOT_ACCEPTED = "NotAccepted";

  private final KubernetesClient client;
  private final ChildApplier applier;
  private final GatewayRef gateway;

  /** {@code gateway}: the controller's {@code --gateway}, or null (gateway jobs are then refused). */
  public GatewayRoute(KubernetesClient client, ChildApplier applier, GatewayRef gateway) {
    this.client = client;
    this.applier = applier;
    this.gateway = gateway;
  }

  @Override
  public boolean serves(JobModel job) {
    return job.route() == Route.GATEWAY;
  }

  @Override
  public String conditionType() {
    return StatusModel.TLS_ROUTE_READY;
  }

  @Override
  public String failureReason() {
    return FAILED;
  }

  @Override
  public Observation apply(JobContext context) {
    JobModel model = context.model();
    Optional<String> refusal = TLSRouteModel.refusal(model, gateway);
    if (refusal.isPresent()) {
      remove(context);
      throw new StepFailure(REFUSED, refusal.get());
    }
    TLSRoute desired = TLSRouteModel.desired(model, gateway);
    if (desired == null) {
      remove(context);
      return new Observation(StatusModel.TLS_ROUTE_READY, true, "NoHost", "spec.host is empty: no TLSRoute");
    }
    applier.apply(desired);
    TLSRoute bulk = TLSRouteModel.desiredBulk(model, gateway);
    if (bulk != null) {
      applier.apply(bulk);
    } else {
      applier.delete(TLSRoute.class, model.namespace(), model.bulkTlsRouteName(), model.job().getMetadata().getUid());
    }
    TLSRoute actual = client.resources(TLSRoute.class).inNamespace(model.namespace()).withName(model.tlsRouteName()).get();
    Gateway gw = client.resources(Gateway.class).inNamespace(gateway.namespace()).withName(gateway.name()).get();
    context.routeStatusAddress(GatewayModel.statusAddress(gw), IngressAddressChoice.FROM_GATEWAY_STATUS);
    Optional<String> problem = GatewayModel.listenerProblem(gw, gateway);
    if (problem.isPresent()) {
      throw new StepFailure(LISTENER_UNUSABLE, "TLSRoute " + model.tlsRouteName() + " is applied, but " + problem.get());
    }
    Optional<Conditions> accepted = GatewayModel.accepted(actual, gateway);
    if (accepted.isPresent() && accepted.get().getStatus() != Conditions.Status.True) {
      throw new StepFailure(NOT_ACCEPTED, "Gateway " + gateway.ref() + " does not accept TLSRoute " + model.tlsRouteName() + ": "
          + accepted.get().getReason() + ": " + accepted.get().getMessage());
    }
    String routes = "TLSRoute " + model.tlsRouteName() + " routes " + model.host() + " (passthrough) from listener "
        + gateway.listener() + " of Gateway " + gateway.ref() + " to " + model.serviceName() + ":" + model.grpcPort();
    return accepted.isPresent()
        ? new Observation(StatusModel.TLS_ROUTE_READY, true, GatewayModel.ROUTE_ACCEPTED, routes + "; the Gateway accepted it")
        : new Observation(StatusModel.TLS_ROUTE_READY, true, "Applied", routes);
  }

  /**
   * Deletes the job's TLSRoute. Only a controller with {@code --gateway} looks: without it the
   * cluster may not serve TLSRoutes at all, and it made none.
   */
  @Override
  public void remove(JobContext context) {
    if (gateway == null) {
      return;
    }
    JobModel model = context.model();
    applier.delete(TLSRoute.class, model.namespace(), model.tlsRouteName(), model.job().getMetadata().getUid());
    applier.delete(TLSRoute.class, model.namespace(), model.bulkTlsRouteName(), model.job().getMetadata().getUid());
  }
}
