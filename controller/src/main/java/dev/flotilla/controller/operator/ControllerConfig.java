package dev.flotilla.controller.operator;

import dev.flotilla.controller.model.GatewayRef;
import dev.flotilla.controller.model.IsolationDefaults;
import dev.flotilla.controller.model.PlacementEngine;
import dev.flotilla.controller.model.PublishPolicy;
import dev.flotilla.dns.CoreDnsConfigMapRef;
import java.time.Duration;
import java.util.Objects;

/**
 * How the controller runs.
 *
 * @param scope the namespaces whose IflearnerJobs it reconciles
 * @param controllerNamespace its own namespace: the CA Secrets (with their private keys) and the
 *     leader Lease live here, never in a job's namespace
 * @param ingressAddress the ingress controller's address for DNS records when a job gives none, or null
 *     (then the address in the job's Ingress status is used)
 * @param coreDns where the cluster's Corefile lives
 * @param resync how often every job is reconciled even without events (certificate renewal, drift
 *     the watches cannot see)
 * @param maxBackoff the longest wait before retrying a job whose reconcile failed
 * @param isolation who the jobs' NetworkPolicies let in besides their peers
 * @param publish which hosts jobs may have and where they may choose their DNS address
 * @param podHostAliases whether pods get the job's DNS records as hostAliases (a cluster whose pods
 *     cannot resolve the job hosts: no CoreDNS, or one the controller may not edit)
 * @param placement the multi-cluster engine jobs with {@code spec.placement} are handed to ({@code --placement}),
 *     or {@link PlacementEngine#NONE}: such jobs then run here
 * @param gateway the Gateway listener that jobs with {@code spec.route: gateway} attach their TLSRoutes
 *     to, or null (then such jobs are refused, and TLSRoutes are not watched)
 * @param followFederations whether the controller is a federation member ({@code --federation-member}): it then
 *     watches the Federations in its namespace, whose party members a Flotilla aggregator of their domain admits
 *     and (with host aliases) whose coordinator address a party pod's server host maps to. Without it no
 *     Federation is read at all (no Role on them is needed)
 */
public record ControllerConfig(WatchScope scope, String controllerNamespace, String ingressAddress, CoreDnsConfigMapRef coreDns,
    Duration resync, Duration maxBackoff, IsolationDefaults isolation, PublishPolicy publish,
    boolean podHostAliases, GatewayRef gateway, PlacementEngine placement, boolean followFederations) {

  public ControllerConfig {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(controllerNamespace, "controllerNamespace");
    Objects.requireNonNull(isolation, "isolation");
    Objects.requireNonNull(publish, "publish");
    Objects.requireNonNull(placement, "placement");
  }

  /** Watches its own namespace, {@code default}, as the command line does when its namespace is {@code default}. */
  public static ControllerConfig defaults() {
    return new ControllerConfig(WatchScope.of("default"), "default", null, CoreDnsConfigMapRef.defaults(),
        Duration.ofMinutes(10), Duration.ofMinutes(5), IsolationDefaults.defaults(), PublishPolicy.defaults(), false, null,
        PlacementEngine.NONE, false);
  }

  public ControllerConfig withScope(WatchScope s) {
    return new ControllerConfig(s, controllerNamespace, ingressAddress, coreDns, resync, maxBackoff, isolation, publish, podHostAliases, gateway, placement, followFederations);
  }

  public ControllerConfig withControllerNamespace(String ns) {
    return new ControllerConfig(scope, ns, ingressAddress, coreDns, resync, maxBackoff, isolation, publish, podHostAliases, gateway, placement, followFederations);
  }

  public ControllerConfig withIngressAddress(String address) {
    return new ControllerConfig(scope, controllerNamespace, address, coreDns, resync, maxBackoff, isolation, publish, podHostAliases, gateway, placement, followFederations);
  }

  public ControllerConfig withCoreDns(CoreDnsConfigMapRef ref) {
    return new ControllerConfig(scope, controllerNamespace, ingressAddress, ref, resync, maxBackoff, isolation, publish, podHostAliases, gateway, placement, followFederations);
  }

  public ControllerConfig withResync(Duration d) {
    return new ControllerConfig(scope, controllerNamespace, ingressAddress, coreDns, d, maxBackoff, isolation, publish, podHostAliases, gateway, placement, followFederations);
  }

  public ControllerConfig withIsolation(IsolationDefaults i) {
    return new ControllerConfig(scope, controllerNamespace, ingressAddress, coreDns, resync, maxBackoff, i, publish, podHostAliases, gateway, placement, followFederations);
  }

  public ControllerConfig withPublish(PublishPolicy policy) {
    return new ControllerConfig(scope, controllerNamespace, ingressAddress, coreDns, resync, maxBackoff, isolation, policy, podHostAliases, gateway, placement, followFederations);
  }

  public ControllerConfig withPodHostAliases(boolean on) {
    return new ControllerConfig(scope, controllerNamespace, ingressAddress, coreDns, resync, maxBackoff, isolation, publish, on, gateway, placement, followFederations);
  }

  public ControllerConfig withGateway(GatewayRef g) {
    return new ControllerConfig(scope, controllerNamespace, ingressAddress, coreDns, resync, maxBackoff, isolation, publish, podHostAliases, g, placement, followFederations);
  }

  public ControllerConfig withPlacement(PlacementEngine p) {
    return new ControllerConfig(scope, controllerNamespace, ingressAddress, coreDns, resync, maxBackoff, isolation, publish, podHostAliases, gateway, p, followFederations);
  }

  public ControllerConfig withFollowFederations(boolean on) {
    return new ControllerConfig(scope, controllerNamespace, ingressAddress, coreDns, resync, maxBackoff, isolation, publish, podHostAliases, gateway, placement, on);
  }
}
