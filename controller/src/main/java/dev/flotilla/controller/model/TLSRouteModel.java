package dev.flotilla.controller.model;

import dev.flotilla.controller.api.TlsMode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.k8s.networking.gateway.v1.TLSRoute;
import io.k8s.networking.gateway.v1.TLSRouteSpec;
import io.k8s.networking.gateway.v1.tlsroutespec.ParentRefs;
import io.k8s.networking.gateway.v1.tlsroutespec.Rules;
import io.k8s.networking.gateway.v1.tlsroutespec.rules.BackendRefs;
import java.util.List;
import java.util.Optional;

/**
 * The job's Gateway API {@code TLSRoute} (gateway.networking.k8s.io/v1, standard channel since
 * Gateway API v1.5), the {@code spec.route: gateway} counterpart of {@link IngressModel}: the
 * Gateway's passthrough listener matches the job's host against the TLS ClientHello's SNI and
 * forwards the bytes, still encrypted, to the job's Service on its gRPC port, so mutual TLS ends
 * in the pod exactly as with ingress-nginx's ssl-passthrough. Pure.
 *
 * <p>A TLSRoute cannot end TLS: a job in terminate mode (explicit, or an iflearner image's default)
 * is refused with a message rather than routed in a way its runtime does not speak.
 */
public final class TLSRouteModel {

  public static final String GATEWAY_GROUP = "gateway.networking.k8s.io";
  public static final String GATEWAY_KIND = "Gateway";
  public static final String API_VERSION = GATEWAY_GROUP + "/v1";
  public static final String KIND = "TLSRoute";

  private TLSRouteModel() {}

  /**
   * Why the job cannot have a TLSRoute, or empty when it can. {@code gateway} is null when the
   * controller runs without {@code --gateway}.
   */
  public static Optional<String> refusal(JobModel job, GatewayRef gateway) {
    if (job.tlsMode() == TlsMode.TERMINATE) {
      return Optional.of("spec.route is gateway, which routes TLS by SNI without ending it (a TLSRoute on a passthrough "
          + "listener), but the job's TLS mode is terminate" + (job.spec().getTls() == null || job.spec().getTls().getMode() == null
              ? " (the default for the non-Flotilla image " + job.firstContainer().getImage() + ")" : "")
          + ": use spec.tls.mode: passthrough with a runtime that ends TLS itself, or spec.route: ingress");
    }
    if (gateway == null) {
      return Optional.of("spec.route is gateway, but the controller runs without --gateway NAMESPACE/NAME: start it with the "
          + "Gateway whose TLS passthrough listener should carry the job, or use spec.route: ingress");
    }
    return Optional.empty();
  }

  /** The TLSRoute, or null when the job has no host (nothing to match the SNI against). Call only without a {@link #refusal}. */
  public static TLSRoute desired(JobModel job, GatewayRef gateway) {
    if (!job.hasHost()) {
      return null;
    }
    return route(job, gateway, job.tlsRouteName(), job.host(), PeerModel.routedPort(job));
  }

  /**
   * The second TLSRoute, of the bulk-upload port's name to that port, or null when the job has no
   * bulk port (or no host). A second object because a TLSRoute's rules cannot match on the hostname.
   */
  public static TLSRoute desiredBulk(JobModel job, GatewayRef gateway) {
    if (job.bulkHost() == null) {
      return null;
    }
    return route(job, gateway, job.bulkTlsRouteName(), job.bulkHost(), job.bulkPort());
  }

  private static TLSRoute route(JobModel job, GatewayRef gateway, String name, String hostname, int port) {
    ParentRefs parent = new ParentRefs();
    parent.setGroup(GATEWAY_GROUP);
    parent.setKind(GATEWAY_KIND);
    parent.setNamespace(gateway.namespace());
    parent.setName(gateway.name());
    parent.setSectionName(gateway.listener());

    BackendRefs backend = new BackendRefs();
    // the core group is the API's default (""); left out because kube-apiserver 1.20's server-side apply reads "" as null
    backend.setGroup(null);
    backend.setKind("Service");
    backend.setName(job.serviceName());
    backend.setPort(port);
    backend.setWeight(1);
    Rules rule = new Rules();
    rule.setBackendRefs(List.of(backend));

    TLSRouteSpec spec = new TLSRouteSpec();
    spec.setParentRefs(List.of(parent));
    spec.setHostnames(List.of(hostname));
    spec.setRules(List.of(rule));

    TLSRoute route = new TLSRoute();
    route.setMetadata(new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(job.namespace())
        .withLabels(job.labels())
        .withOwnerReferences(job.ownerReference())
        .build());
    route.setSpec(spec);
    route.setStatus(null); // the Gateway implementation's to write

    return route;
  }
}
