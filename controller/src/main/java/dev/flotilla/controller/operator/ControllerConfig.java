package dev.flotilla.controller.operator;

import dev.flotilla.controller.model.PublishPolicy;
import dev.flotilla.dns.CoreDnsConfigMapRef;
import java.time.Duration;

/**
 * How the controller runs.
 *
 * @param namespace the namespace to watch, or null for all namespaces
 * @param ingressAddress the ingress controller's address for DNS records when a job gives none, or null
 *     (then the address in the job's Ingress status is used)
 * @param coreDns where the cluster's Corefile lives
 * @param resync how often every job is reconciled even without events (certificate renewal, drift
 *     the watches cannot see)
 * @param maxBackoff the longest wait before retrying a job whose reconcile failed
 * @param publish which hosts jobs may have and where they may choose their DNS address
 */
public record ControllerConfig(String namespace, String ingressAddress, CoreDnsConfigMapRef coreDns,
    Duration resync, Duration maxBackoff, PublishPolicy publish) {

  public static ControllerConfig defaults() {
    return new ControllerConfig(null, null, CoreDnsConfigMapRef.defaults(), Duration.ofMinutes(10), Duration.ofMinutes(5),
        PublishPolicy.defaults());
  }

  public ControllerConfig withNamespace(String ns) {
    return new ControllerConfig(ns, ingressAddress, coreDns, resync, maxBackoff, publish);
  }

  public ControllerConfig withIngressAddress(String address) {
    return new ControllerConfig(namespace, address, coreDns, resync, maxBackoff, publish);
  }

  public ControllerConfig withResync(Duration d) {
    return new ControllerConfig(namespace, ingressAddress, coreDns, d, maxBackoff, publish);
  }

  public ControllerConfig withPublish(PublishPolicy policy) {
    return new ControllerConfig(namespace, ingressAddress, coreDns, resync, maxBackoff, policy);
  }
}
