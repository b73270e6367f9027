package dev.flotilla.controller.model;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The Gateway listener that jobs with {@code spec.route: gateway} attach their TLSRoutes to
 * ({@code --gateway NS/NAME}, {@code --gateway-listener}), and where the Gateway's proxy pods run
 * ({@code --gateway-proxy-namespace}, default the Gateway's namespace, and
 * {@code --gateway-proxy-pod-label}, default any pod there): those pods are let in by the jobs'
 * NetworkPolicies in place of ingress-nginx's.
 */
public record GatewayRef(String namespace, String name, String listener, String proxyNamespace, Map<String, String> proxyPodLabels) {

  public static final String DEFAULT_LISTENER = "tls-passthrough";

  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  /** DNS-1123 subdomain: object names, and Gateway API's SectionName. */
  private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  public GatewayRef {
    check("--gateway namespace", namespace, LABEL, 63);
    check("--gateway name", name, SUBDOMAIN, 253);
    check("--gateway-listener", listener, SUBDOMAIN, 253);
    proxyNamespace = proxyNamespace == null || proxyNamespace.isBlank() ? namespace : proxyNamespace;
    check("--gateway-proxy-namespace", proxyNamespace, LABEL, 63);
    proxyPodLabels = Map.copyOf(Objects.requireNonNull(proxyPodLabels, "proxyPodLabels"));
  }

  /** {@code NS/NAME} as the command line gives it, with the listener and the proxy pods' place. */
  public static GatewayRef parse(String namespaceAndName, String listener, String proxyNamespace, Map<String, String> proxyPodLabels) {
    int slash = namespaceAndName.indexOf('/');
    if (slash <= 0 || slash == namespaceAndName.length() - 1 || namespaceAndName.indexOf('/', slash + 1) >= 0) {
      throw new IllegalArgumentException("--gateway must be NAMESPACE/NAME, got '" + namespaceAndName + "'");
    }
    return new GatewayRef(namespaceAndName.substring(0, slash), namespaceAndName.substring(slash + 1), listener, proxyNamespace,
        proxyPodLabels);
  }

  /** namespace/name, for messages. */
  public String ref() {
    return namespace + "/" + name;
  }

  private static void check(String what, String value, Pattern pattern, int max) {
    if (value == null || value.isEmpty() || value.length() > max || !pattern.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " must be a lower-case DNS name of at most " + max + " characters, got '"
          + value + "'");
    }
  }
}
