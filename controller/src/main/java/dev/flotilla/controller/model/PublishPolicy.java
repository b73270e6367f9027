package dev.flotilla.controller.model;

import dev.flotilla.dns.HostPolicy;
import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What the controller lets a job publish in the cluster: which hosts ({@link HostPolicy}: shapes,
 * reserved names, allowed domains) and where a job may choose the address its DNS record answers
 * ({@code spec.dns.ingressAddress}) instead of the controller's ingress address.
 *
 * @param hosts the name rules
 * @param ingressAddressOverrideEverywhere honour {@code spec.dns.ingressAddress} in every namespace
 * @param ingressAddressOverrideNamespaces namespaces where {@code spec.dns.ingressAddress} is honoured
 */
public record PublishPolicy(HostPolicy hosts, boolean ingressAddressOverrideEverywhere,
    SortedSet<String> ingressAddressOverrideNamespaces) {

  public PublishPolicy {
    Objects.requireNonNull(hosts, "hosts");
    ingressAddressOverrideNamespaces = Collections.unmodifiableSortedSet(new TreeSet<>(ingressAddressOverrideNamespaces));
  }

  /** Any domain that passes the name rules; {@code spec.dns.ingressAddress} honoured nowhere. */
  public static PublishPolicy defaults() {
    return new PublishPolicy(HostPolicy.defaults(), false, new TreeSet<>());
  }

  public PublishPolicy withHosts(HostPolicy policy) {
    return new PublishPolicy(policy, ingressAddressOverrideEverywhere, ingressAddressOverrideNamespaces);
  }

  /** {@code spec.dns.ingressAddress} honoured in these namespaces (besides any already allowed). */
  public PublishPolicy withIngressAddressOverrideIn(Collection<String> namespaces) {
    SortedSet<String> all = new TreeSet<>(ingressAddressOverrideNamespaces);
    all.addAll(namespaces);
    return new PublishPolicy(hosts, ingressAddressOverrideEverywhere, all);
  }

  /** {@code spec.dns.ingressAddress} honoured in every namespace. */
  public PublishPolicy withIngressAddressOverrideEverywhere() {
    return new PublishPolicy(hosts, true, ingressAddressOverrideNamespaces);
  }

  public boolean honoursIngressAddress(String namespace) {
    return ingressAddressOverrideEverywhere || ingressAddressOverrideNamespaces.contains(namespace);
  }
}
