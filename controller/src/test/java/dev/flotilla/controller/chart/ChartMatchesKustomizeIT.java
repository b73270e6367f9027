package dev.flotilla.controller.chart;

import static dev.flotilla.controller.chart.FlotillaChart.map;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.model.Samples;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The chart and config/ are two ways to install one thing: each mode the chart has must make exactly
 * the objects of its kustomize overlay. Allowed differences, and nothing else: the labels Helm adds to
 * every object's metadata, the pod template's checksum annotation (a Helm upgrade that changes the
 * ConfigMap rolls the pods), and the Namespaces, which the chart does not make: the release's must exist
 * before the release's first Secret is written (the chart's README makes and labels it first), and a
 * Gateway's namespace is the Gateway owner's (gateway.name says it must exist).
 */
@RequiresRealServers(RealServer.KUBECTL_KUSTOMIZE)
@DisplayName("the chart and kustomize make the same objects")
class ChartMatchesKustomizeIT {

  @Test
  @DisplayName("the kubectl used embeds kustomize 4 or later (directories in resources, as config/ lists them)")
  void kustomizeVersion() {
    assertThat(Kustomize.majorVersion()).isGreaterThanOrEqualTo(4);
  }

  @Test
  @DisplayName("default values = config/default (namespace-scoped, jobs in default, no ClusterRole)")
  void defaultMatchesConfigDefault() {
    assertSameObjects(FlotillaChart.render(), "config/default");
  }

  @Test
  @DisplayName("watch.allNamespaces=true = config/cluster-wide (ClusterRole without Secrets, Secrets bound in default)")
  void clusterWideMatchesConfigClusterWide() {
    assertSameObjects(FlotillaChart.render(Map.of("watch", Map.of("allNamespaces", true))), "config/cluster-wide");
  }

  @Test
  @DisplayName("podHostAliases=true = config/single-node (--pod-host-aliases)")
  void hostAliasesMatchConfigSingleNode() {
    assertSameObjects(FlotillaChart.render(Map.of("podHostAliases", true)), "config/single-node");
  }

  @Test
  @DisplayName("gateway.name=flotilla-gateway/flotilla, gateway.create=true = config/gateway (the Gateway, the Role reading it, --gateway)")
  void gatewayMatchesConfigGateway() {
    assertSameObjects(FlotillaChart.render(Map.of("gateway", Map.of("name", "flotilla-gateway/flotilla", "create", true))),
        "config/gateway");
  }

  @Test
  @DisplayName("addressFrom=[{Gateway gateway-system/public}] = config/address-from (the Role that may get that one Gateway)")
  void addressFromMatchesConfigAddressFrom() {
    assertSameObjects(FlotillaChart.render(Map.of("addressFrom", List.of(Map.of("kind", "Gateway", "namespace", "gateway-system",
        "name", "public")))), "config/address-from");
  }

  private static void assertSameObjects(List<Map<String, Object>> chart, String overlay) {
    List<Map<String, Object>> kustomize = Kustomize.build(Samples.repoRoot().resolve(overlay));
    assertThat(kustomize).extracting(FlotillaChart::id).contains("Namespace/flotilla-system");
    Map<String, Map<String, Object>> expected = new TreeMap<>(FlotillaChart.byId(kustomize.stream()
        .filter(o -> !"Namespace".equals(o.get("kind"))).toList()));
    Map<String, Map<String, Object>> actual = new TreeMap<>();
    FlotillaChart.byId(chart).forEach((id, o) -> actual.put(id, withoutHelmAdditions(o)));

    assertThat(actual.keySet()).as("objects of the chart vs " + overlay).containsExactlyElementsOf(expected.keySet());
    expected.forEach((id, o) -> assertThat(FlotillaChart.yaml(actual.get(id)))
        .as(id + " from the chart vs " + overlay).isEqualTo(FlotillaChart.yaml(sorted(o))));
  }

  /** A copy without the labels Helm adds (asserting they are there) and without the checksum annotation. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> withoutHelmAdditions(Map<String, Object> object) {
    Map<String, Object> copy = (Map<String, Object>) deepCopy(object);
    if (!"CustomResourceDefinition".equals(copy.get("kind"))) {
      Map<String, Object> labels = map(copy, "metadata", "labels");
      assertThat(labels).as("Helm's labels on " + FlotillaChart.id(object)).containsKeys(FlotillaChart.HELM_LABELS.toArray(String[]::new));
      FlotillaChart.HELM_LABELS.forEach(labels::remove);
      if (labels.isEmpty()) {
        map(copy, "metadata").remove("labels");
      }
    }
    if ("Deployment".equals(copy.get("kind"))) {
      Map<String, Object> annotations = map(copy, "spec", "template", "metadata", "annotations");
      assertThat(annotations).containsKey(FlotillaChart.CHECKSUM_ANNOTATION);
      annotations.remove(FlotillaChart.CHECKSUM_ANNOTATION);
    }
    return (Map<String, Object>) sorted(copy);
  }

  /**
   * Maps with sorted keys at every depth and numbers by value (kustomize writes the CRD's
   * {@code 65535.0} as {@code 65535}), so the YAML of equal objects is equal text.
   */
  private static Object sorted(Object value) {
    if (value instanceof Number n) {
      return new java.math.BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
    }
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> out = new TreeMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), sorted(v)));
      return out;
    }
    if (value instanceof List<?> l) {
      return l.stream().map(ChartMatchesKustomizeIT::sorted).toList();
    }
    return value;
  }

  private static Object deepCopy(Object value) {
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), deepCopy(v)));
      return out;
    }
    if (value instanceof List<?> l) {
      return new java.util.ArrayList<>(l.stream().map(ChartMatchesKustomizeIT::deepCopy).toList());
    }
    return value;
  }
}
