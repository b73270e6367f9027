package dev.flotilla.controller.model;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddress;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import io.k8s.networking.gateway.v1.TLSRoute;
import io.k8s.networking.gateway.v1.tlsroutestatus.Parents;
import io.k8s.networking.gateway.v1.tlsroutestatus.parents.Conditions;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the controller reads from the Gateway it attaches routes to, and from a route's status:
 * the address the jobs' DNS records answer (the Gateway's status addresses, as ingress-nginx's
 * address comes from an Ingress status), whether the configured listener can carry a TLSRoute
 * in passthrough mode, and whether the Gateway accepted the route. Pure.
 */
public final class GatewayModel {

  public static final String ROUTE_ACCEPTED = "Accepted";

  /** An IPv4 or IPv6 literal; the dns module checks it again before it becomes a record. */
  private static final Pattern IP = Pattern.compile("[0-9.]{7,15}|[0-9a-fA-F:.]{2,45}");

  private GatewayModel() {}

  /**
   * The first IP address in the Gateway's status ({@code type: IPAddress}, or no type, which
   * means IPAddress), or null. Hostname addresses are skipped: a CoreDNS record needs an IP.
   */
  public static String statusAddress(Gateway gateway) {
    if (gateway == null || gateway.getStatus() == null || gateway.getStatus().getAddresses() == null) {
      return null;
    }
    for (GatewayStatusAddress a : gateway.getStatus().getAddresses()) {
      boolean ipType = a.getType() == null || a.getType().isEmpty() || "IPAddress".equals(a.getType());
      if (ipType && a.getValue() != null && a.getValue().length() <= 45 && IP.matcher(a.getValue()).matches()) {
        return a.getValue();
      }
    }
    return null;
  }

  /**
   * Why the Gateway cannot carry the jobs' TLSRoutes through {@code ref}'s listener, or empty:
   * the Gateway is missing, has no such listener, or the listener is not {@code protocol: TLS}
   * with {@code tls.mode: Passthrough} (TLS listeners terminate by default).
   */
  public static Optional<String> listenerProblem(Gateway gateway, GatewayRef ref) {
    if (gateway == null) {
      return Optional.of("Gateway " + ref.ref() + " does not exist (yet)");
    }
    List<Listener> listeners = gateway.getSpec() == null || gateway.getSpec().getListeners() == null
        ? List.of() : gateway.getSpec().getListeners();
    Listener listener = listeners.stream().filter(l -> ref.listener().equals(l.getName())).findFirst().orElse(null);
    if (listener == null) {
      return Optional.of("Gateway " + ref.ref() + " has no listener " + ref.listener() + " (it has "
          + listeners.stream().map(Listener::getName).toList() + "); see --gateway-listener");
    }
    String mode = listener.getTls() == null || listener.getTls().getMode() == null ? "Terminate" : listener.getTls().getMode();
    if (!"TLS".equals(listener.getProtocol()) || !"Passthrough".equals(mode)) {
      return Optional.of("listener " + ref.listener() + " of Gateway " + ref.ref() + " is protocol " + listener.getProtocol()
          + ", tls.mode " + mode + ": a job's TLSRoute needs protocol TLS with tls.mode Passthrough, so mutual TLS ends in the pod");
    }
    return Optional.empty();
  }

  /**
   * The Accepted condition the Gateway's implementation wrote for {@code ref} in the route's
   * status, or empty when none has (yet).
   */
  public static Optional<Conditions> accepted(TLSRoute route, GatewayRef ref) {
    if (route == null || route.getStatus() == null || route.getStatus().getParents() == null) {
      return Optional.empty();
    }
    for (Parents p : route.getStatus().getParents()) {
      if (p.getParentRef() != null && ref.name().equals(p.getParentRef().getName())
          && ref.namespace().equals(Objects.requireNonNullElse(p.getParentRef().getNamespace(), route.getMetadata().getNamespace()))
          && p.getConditions() != null) {
        Optional<Conditions> c = p.getConditions().stream().filter(x -> ROUTE_ACCEPTED.equals(x.getType())).findFirst();
        if (c.isPresent()) {
          return c;
        }
      }
    }
    return Optional.empty();
  }
}
