package dev.flotilla.controller.model;

import java.util.Map;
import java.util.Objects;

/**
 * Who a job's NetworkPolicy lets in, as the controller is configured: the ingress controller's
 * namespace (a job's {@code spec.isolation.ingressNamespace} wins) and the metrics scraper, which
 * may reach the aggregator's metrics port from the namespaces matching
 * {@code scraperNamespaceLabels} (and, when not empty, only from pods matching
 * {@code scraperPodLabels}).
 */
public record IsolationDefaults(String ingressNamespace, Map<String, String> scraperNamespaceLabels,
    Map<String, String> scraperPodLabels) {

  public static final String DEFAULT_INGRESS_NAMESPACE = "ingress-nginx";
  /** Prometheus in a namespace called {@code monitoring}, as kube-prometheus and most charts install it. */
  public static final Map<String, String> DEFAULT_SCRAPER_NAMESPACE_LABELS =
      Map.of(NetworkPolicyModel.NAMESPACE_NAME_LABEL, "monitoring");

  public IsolationDefaults {
    Objects.requireNonNull(ingressNamespace, "ingressNamespace");
    scraperNamespaceLabels = Map.copyOf(scraperNamespaceLabels);
    scraperPodLabels = Map.copyOf(scraperPodLabels);
    if (scraperNamespaceLabels.isEmpty()) {
      // an empty namespaceSelector would admit every namespace
      throw new IllegalArgumentException("the metrics scraper's namespace labels must not be empty");
    }
  }

  public static IsolationDefaults defaults() {
    return new IsolationDefaults(DEFAULT_INGRESS_NAMESPACE, DEFAULT_SCRAPER_NAMESPACE_LABELS, Map.of());
  }
}
