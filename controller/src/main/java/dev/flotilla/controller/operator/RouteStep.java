package dev.flotilla.controller.operator;

import dev.flotilla.controller.api.Route;
import dev.flotilla.controller.model.GatewayModel;
import dev.flotilla.controller.model.GatewayRef;
import dev.flotilla.controller.model.IngressAddressChoice;
import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.model.TLSRouteModel;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.k8s.networking.gateway.v1.TLSRoute;
import io.k8s.networking.gateway.v1.tlsroutestatus.parents.Conditions;
import java.util.Optional;

/**
 * The job's way in from outside the cluster: an Ingress for ingress-nginx ({@code spec.route:
 * ingress}, the default) or a Gateway API TLSRoute on the controller's Gateway listener
 * ({@code spec.route: gateway}), and never both: the other one is deleted. Reports the address
 * the route published (Ingress status, or the Gateway's status addresses) for the DNS step.
 */
public final class RouteStep {

  /**
   * What the step did: its condition ({@value StatusModel#INGRESS_READY} or
   * {@value StatusModel#TLS_ROUTE_READY}) and the address the route's status gives, or null.
   */
  public record Outcome(Observation observation, String statusAddress, String statusSource) {}

  /** A route the controller cannot make or that its Gateway does not take: the condition False with this reason. */
  public static final class Refused extends RuntimeException {
    private final String reason;

    Refused(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }

  public static final String GATEWAY_REFUSED = "GatewayRouteRefused";
  public static final String GATEWAY_LISTENER_UNUSABLE = "GatewayListenerUnusable";
  public static final String NOT_ACCEPTED = "NotAccepted";

  private final KubernetesClient client;
  private final ChildApplier applier;
  private final GatewayRef gateway;

  public RouteStep(KubernetesClient client, ChildApplier applier, GatewayRef gateway) {
    this.client = client;
    this.applier = applier;
    this.gateway = gateway;
  }

  /** The condition type this step reports for the job. */
  public static String conditionType(JobModel model) {
    return model.route() == Route.GATEWAY ? StatusModel.TLS_ROUTE_READY : StatusModel.INGRESS_READY;
  }

  /** The reason of a failure that is not a {@link Refused} (an API error). */
  public static String failureReason(JobModel model) {
    return model.route() == Route.GATEWAY ? "TLSRouteFailed" : "IngressFailed";
  }

  /** Applies the job's route and removes the other kind; throws {@link Refused} when the route cannot carry the job. */
  public Outcome apply(JobModel model) {
    String uid = model.job().getMetadata().getUid();
    if (model.route() == Route.INGRESS) {
      // only a controller that may have made TLSRoutes looks for one: without --gateway the CRD may not exist
      if (gateway != null) {
        applier.delete(TLSRoute.class, model.namespace(), model.tlsRouteName(), uid);
      }
      return ingress(model);
    }
    applier.delete(Ingress.class, model.namespace(), model.ingressName(), uid);
    Optional<String> refusal = TLSRouteModel.refusal(model, gateway);
    if (refusal.isPresent()) {
      if (gateway != null) {
        applier.delete(TLSRoute.class, model.namespace(), model.tlsRouteName(), uid);
      }
      throw new Refused(GATEWAY_REFUSED, refusal.get());
    }
    TLSRoute desired = TLSRouteModel.desired(model, gateway);
    if (desired == null) {
      applier.delete(TLSRoute.class, model.namespace(), model.tlsRouteName(), uid);
      return new Outcome(new Observation(StatusModel.TLS_ROUTE_READY, true, "NoHost", "spec.host is empty: no TLSRoute"),
          null, IngressAddressChoice.FROM_GATEWAY_STATUS);
    }
    applier.apply(desired);
    TLSRoute actual = client.resources(TLSRoute.class).inNamespace(model.namespace()).withName(model.tlsRouteName()).get();
    Gateway gw = client.resources(Gateway.class).inNamespace(gateway.namespace()).withName(gateway.name()).get();
    Optional<String> problem = GatewayModel.listenerProblem(gw, gateway);
    if (problem.isPresent()) {
      throw new Refused(GATEWAY_LISTENER_UNUSABLE, "TLSRoute " + model.tlsRouteName() + " is applied, but " + problem.get());
    }
    Optional<Conditions> accepted = GatewayModel.accepted(actual, gateway);
    if (accepted.isPresent() && accepted.get().getStatus() != Conditions.Status.True) {
      throw new Refused(NOT_ACCEPTED, "Gateway " + gateway.ref() + " does not accept TLSRoute " + model.tlsRouteName() + ": "
          + accepted.get().getReason() + ": " + accepted.get().getMessage());
    }
    String routes = "TLSRoute " + model.tlsRouteName() + " routes " + model.host() + " (passthrough) from listener "
        + gateway.listener() + " of Gateway " + gateway.ref() + " to " + model.serviceName() + ":" + model.grpcPort();
    Observation observation = accepted.isPresent()
        ? new Observation(StatusModel.TLS_ROUTE_READY, true, GatewayModel.ROUTE_ACCEPTED, routes + "; the Gateway accepted it")
        : new Observation(StatusModel.TLS_ROUTE_READY, true, "Applied", routes);
    return new Outcome(observation, GatewayModel.statusAddress(gw), IngressAddressChoice.FROM_GATEWAY_STATUS);
  }

  private Outcome ingress(JobModel model) {
    Ingress desired = IngressModel.desired(model);
    if (desired == null) {
      return new Outcome(new Observation(StatusModel.INGRESS_READY, true, "NoHost", "spec.host is empty: no Ingress"),
          null, IngressAddressChoice.FROM_INGRESS_STATUS);
    }
    applier.apply(desired);
    Ingress ingress = client.resource(desired).get();
    return new Outcome(new Observation(StatusModel.INGRESS_READY, true, "Applied",
        "Ingress " + model.ingressName() + " routes " + model.host() + " (" + model.tlsMode().wireName() + ") to "
            + model.serviceName() + ":" + model.grpcPort()), statusAddress(ingress), IngressAddressChoice.FROM_INGRESS_STATUS);
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
