package dev.flotilla.controller.chart;

import static dev.flotilla.controller.chart.FlotillaChart.id;
import static dev.flotilla.controller.chart.FlotillaChart.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.flotilla.cli.ConfigOption;
import dev.flotilla.controller.ControllerOptions;
import dev.flotilla.controller.model.Samples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** charts/flotilla linted and rendered by Helm's own library (no cluster needed). */
@DisplayName("the Helm chart charts/flotilla")
class HelmChartTest {

  @Test
  @DisplayName("passes helm lint --strict with no error or warning")
  void lintsClean() {
    LintResult result = new Helm(FlotillaChart.directory()).lint().strict().call();
    assertThat(result.isFailed()).as("lint failed: %s", result.getMessages()).isFalse();
    assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @Test
  @DisplayName("ships the CRDs the build generates, byte for byte those in config/crd (both written by crd-generator)")
  void crdIsTheGeneratedOne() throws IOException {
    Path chartCrds = FlotillaChart.directory().resolve("crds");
    List<String> crds = List.of("federations.flotilla.dev-v1.yml", "iflearnerjobs.git.iflytek.com-v1.yml");
    try (var files = Files.list(chartCrds)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactlyElementsOf(crds);
    }
    for (String crd : crds) {
      assertThat(Files.readString(chartCrds.resolve(crd)))
          .isEqualTo(Files.readString(Samples.repoRoot().resolve("config/crd/" + crd)));
    }
  }

  @Test
  @DisplayName("appVersion is the project version, so the default image is localhost/flotilla/controller:<project version>")
  void appVersionIsTheProjectVersion() throws IOException {
    String version = projectVersion();
    assertThat(Files.readString(FlotillaChart.directory().resolve("Chart.yaml"))).contains("\nappVersion: " + version + "\n");
    Map<String, Object> container = container(FlotillaChart.byId(FlotillaChart.render())
        .get("Deployment/flotilla-system/flotilla-controller"));
    assertThat(container).containsEntry("image", "localhost/flotilla/controller:" + version);
  }

  @Nested
  @DisplayName("with the default values")
  class Defaults {
    final Map<String, Map<String, Object>> objects = FlotillaChart.byId(FlotillaChart.render());

    @Test
    @DisplayName("renders the CRDs, the ServiceAccount, the Roles of flotilla-system, kube-system and default, the ConfigMap and the Deployment, and no cluster-scoped RBAC")
    void namespaceScoped() {
      assertThat(objects.keySet()).containsExactlyInAnyOrder(
          "CustomResourceDefinition/iflearnerjobs.git.iflytek.com",
          "CustomResourceDefinition/federations.flotilla.dev",
          "ServiceAccount/flotilla-system/flotilla-controller",
          "Role/flotilla-system/flotilla-controller-ca", "RoleBinding/flotilla-system/flotilla-controller-ca",
          "Role/flotilla-system/flotilla-controller-leader-election",
          "RoleBinding/flotilla-system/flotilla-controller-leader-election",
          "Role/kube-system/flotilla-controller-coredns", "RoleBinding/kube-system/flotilla-controller-coredns",
          "Role/default/flotilla-controller", "RoleBinding/default/flotilla-controller",
          "ConfigMap/flotilla-system/flotilla-controller-watch",
          "Deployment/flotilla-system/flotilla-controller");
      assertThat(watch(objects)).containsEntry("watch", "--namespace=default").containsEntry("hosts", "--no-pod-host-aliases");
    }

    @Test
    @DisplayName("labels every object it templates as Helm's (chart, instance, version, managed-by Helm)")
    void helmLabels() {
      objects.values().stream().filter(o -> !"CustomResourceDefinition".equals(o.get("kind"))).forEach(o ->
          assertThat(map(o, "metadata", "labels")).as(id(o))
              .containsEntry("app.kubernetes.io/managed-by", "Helm")
              .containsEntry("app.kubernetes.io/instance", "flotilla")
              .containsEntry("helm.sh/chart", "flotilla-0.1.0")
              .containsKeys(FlotillaChart.HELM_LABELS.toArray(String[]::new)));
    }
  }

  @Test
  @DisplayName("watch.namespaces [team-a, team-b]: a Role and RoleBinding in each, --namespace=team-a,team-b, none in default")
  void severalNamespaces() {
    Map<String, Map<String, Object>> objects = FlotillaChart.byId(FlotillaChart.render(Map.of("watch", Map.of("namespaces", List.of("team-a", "team-b")))));
    assertThat(objects).containsKeys("Role/team-a/flotilla-controller", "RoleBinding/team-a/flotilla-controller",
        "Role/team-b/flotilla-controller", "RoleBinding/team-b/flotilla-controller")
        .doesNotContainKeys("Role/default/flotilla-controller");
    assertThat(watch(objects)).containsEntry("watch", "--namespace=team-a,team-b");
    assertThat(rules(objects.get("Role/team-b/flotilla-controller"))).anyMatch(r -> r.get("resources").equals(List.of("secrets")));
  }

  @Test
  @DisplayName("watch.allNamespaces: a ClusterRole without Secrets bound cluster-wide, Secrets only through a RoleBinding per listed namespace, --all-namespaces")
  void clusterWide() {
    Map<String, Map<String, Object>> objects = FlotillaChart.byId(FlotillaChart.render(Map.of("watch",
        Map.of("allNamespaces", true, "namespaces", List.of("default", "team-a")))));
    assertThat(objects).containsKeys("ClusterRole/flotilla-controller", "ClusterRoleBinding/flotilla-controller",
        "ClusterRole/flotilla-controller-secrets", "RoleBinding/default/flotilla-controller-secrets",
        "RoleBinding/team-a/flotilla-controller-secrets")
        .doesNotContainKeys("Role/default/flotilla-controller", "RoleBinding/default/flotilla-controller");
    assertThat(rules(objects.get("ClusterRole/flotilla-controller")))
        .noneMatch(r -> ((List<?>) r.get("resources")).contains("secrets"));
    assertThat(map(objects.get("RoleBinding/team-a/flotilla-controller-secrets"), "roleRef"))
        .containsEntry("kind", "ClusterRole").containsEntry("name", "flotilla-controller-secrets");
    assertThat(watch(objects)).containsEntry("watch", "--all-namespaces");
  }

  @Test
  @DisplayName("gateway.name edge/fl: a Role reading that one Gateway in edge and its NS/NAME in the ConfigMap, no Gateway made; with gateway.create the Gateway too (TLS passthrough on 443, TLSRoutes from the job namespaces only)")
  void gateway() {
    assertThat(watch(FlotillaChart.byId(FlotillaChart.render()))).doesNotContainKey("gateway");
    Map<String, Map<String, Object>> existing = FlotillaChart.byId(FlotillaChart.render(Map.of("gateway", Map.of("name", "edge/fl"))));
    assertThat(existing).containsKeys("Role/edge/flotilla-controller-gateway", "RoleBinding/edge/flotilla-controller-gateway")
        .doesNotContainKey("Gateway/edge/fl");
    assertThat(watch(existing)).containsEntry("gateway", "edge/fl");
    assertThat(rules(existing.get("Role/edge/flotilla-controller-gateway")).get(0))
        .containsEntry("resources", List.of("gateways")).containsEntry("resourceNames", List.of("fl"))
        .containsEntry("verbs", List.of("get", "list", "watch"));

    Map<String, Map<String, Object>> made = FlotillaChart.byId(FlotillaChart.render(Map.of(
        "gateway", Map.of("name", "edge/fl", "create", true, "className", "eg"),
        "watch", Map.of("namespaces", List.of("default", "team-a")))));
    Map<String, Object> gateway = made.get("Gateway/edge/fl");
    assertThat(gateway).as("the Gateway").isNotNull();
    assertThat(map(gateway, "spec")).containsEntry("gatewayClassName", "eg");
    assertThat(FlotillaChart.yaml(map(gateway, "spec").get("listeners"))).contains("name: \"tls-passthrough\"",
        "mode: \"Passthrough\"", "port: 443", "kind: \"TLSRoute\"", "- \"default\"\n", "- \"team-a\"\n");
  }

  @Test
  @DisplayName("addressFrom: per entry a Role in its namespace that may only get that one Gateway or Ingress, bound to the "
      + "controller's ServiceAccount; none by default")
  void addressFrom() {
    assertThat(FlotillaChart.byId(FlotillaChart.render()).keySet()).noneMatch(id -> id.contains("flotilla-controller-address-"));
    Map<String, Map<String, Object>> objects = FlotillaChart.byId(FlotillaChart.render(Map.of("addressFrom", List.of(
        Map.of("kind", "Gateway", "namespace", "gateway-system", "name", "public"),
        Map.of("kind", "Ingress", "namespace", "edge", "name", "front")))));
    assertThat(objects.keySet().stream().filter(id -> id.contains("flotilla-controller-address-")).toList()).containsExactlyInAnyOrder(
        "Role/gateway-system/flotilla-controller-address-gateway-public",
        "RoleBinding/gateway-system/flotilla-controller-address-gateway-public",
        "Role/edge/flotilla-controller-address-ingress-front",
        "RoleBinding/edge/flotilla-controller-address-ingress-front");
    assertThat(rules(objects.get("Role/gateway-system/flotilla-controller-address-gateway-public"))).containsExactly(Map.of(
        "apiGroups", List.of("gateway.networking.k8s.io"), "resources", List.of("gateways"), "resourceNames", List.of("public"),
        "verbs", List.of("get")));
    assertThat(rules(objects.get("Role/edge/flotilla-controller-address-ingress-front"))).containsExactly(Map.of(
        "apiGroups", List.of("networking.k8s.io"), "resources", List.of("ingresses"), "resourceNames", List.of("front"),
        "verbs", List.of("get")));
    Map<String, Object> binding = objects.get("RoleBinding/edge/flotilla-controller-address-ingress-front");
    assertThat(binding.get("subjects")).isEqualTo(List.of(Map.of("kind", "ServiceAccount", "name", "flotilla-controller",
        "namespace", "flotilla-system")));
    assertThat(map(binding, "roleRef")).containsEntry("kind", "Role").containsEntry("name", "flotilla-controller-address-ingress-front");
  }

  @Test
  @DisplayName("federation.member: --federation-member and the Role of config/rbac/federation; federation.enroll: "
      + "--enroll-federation and the Roles of config/rbac/enroll and config/rbac/federation, rule for rule; neither by default")
  void federation() {
    Map<String, Map<String, Object>> defaults = FlotillaChart.byId(FlotillaChart.render());
    assertThat(defaults).doesNotContainKeys("Role/flotilla-system/flotilla-controller-federation",
        "Role/flotilla-system/flotilla-controller-enroll");
    Map<String, Object> shippedFederation = kustomizeRole("config/rbac/federation/federation_role.yaml");
    Map<String, Object> shippedEnroll = kustomizeRole("config/rbac/enroll/enroll_role.yaml");

    Map<String, Map<String, Object>> member = FlotillaChart.byId(FlotillaChart.render(Map.of("federation", Map.of("member", "alice"))));
    assertThat(rules(member.get("Role/flotilla-system/flotilla-controller-federation"))).isEqualTo(rules(shippedFederation));
    assertThat(member).containsKey("RoleBinding/flotilla-system/flotilla-controller-federation")
        .doesNotContainKey("Role/flotilla-system/flotilla-controller-enroll");
    assertThat((List<Object>) container(member.get("Deployment/flotilla-system/flotilla-controller")).get("args"))
        .contains("--federation-member=alice").noneMatch(a -> a.toString().startsWith("--enroll-federation"));

    Map<String, Map<String, Object>> coordinator = FlotillaChart.byId(FlotillaChart.render(Map.of("federation",
        Map.of("member", "coord", "enroll", "flotilla-jobs/fl.example.org"))));
    assertThat(rules(coordinator.get("Role/flotilla-system/flotilla-controller-enroll"))).isEqualTo(rules(shippedEnroll));
    assertThat(rules(coordinator.get("Role/flotilla-system/flotilla-controller-federation"))).isEqualTo(rules(shippedFederation));
    assertThat(coordinator).containsKey("RoleBinding/flotilla-system/flotilla-controller-enroll");
    assertThat((List<Object>) container(coordinator.get("Deployment/flotilla-system/flotilla-controller")).get("args"))
        .contains("--federation-member=coord", "--enroll-federation=flotilla-jobs/fl.example.org");
  }

  @Test
  @SuppressWarnings("unchecked")
  @DisplayName("federation.join: --join and the Roles of config/rbac/join and config/rbac/federation (the mirror), rule for "
      + "rule, and no join Secret without joinSecret.token (JoinSecretChartTest); not by default")
  void join() {
    assertThat(FlotillaChart.byId(FlotillaChart.render())).doesNotContainKeys("Role/flotilla-system/flotilla-controller-join");
    Map<String, Map<String, Object>> party = FlotillaChart.byId(FlotillaChart.render(Map.of("federation",
        Map.of("member", "alice", "join", true))));
    assertThat(rules(party.get("Role/flotilla-system/flotilla-controller-join")))
        .isEqualTo(rules(kustomizeRole("config/rbac/join/join_role.yaml")));
    assertThat(party.get("RoleBinding/flotilla-system/flotilla-controller-join").get("subjects")).isEqualTo(List.of(Map.of(
        "kind", "ServiceAccount", "name", "flotilla-controller", "namespace", "flotilla-system")));
    assertThat(rules(party.get("Role/flotilla-system/flotilla-controller-federation")))
        .isEqualTo(rules(kustomizeRole("config/rbac/federation/federation_role.yaml")));
    assertThat(party).doesNotContainKeys("Role/flotilla-system/flotilla-controller-enroll", "Service/flotilla-system/flotilla-enroll");
    assertThat(party.values()).noneMatch(o -> "Secret".equals(o.get("kind")));
    assertThat((List<Object>) container(party.get("Deployment/flotilla-system/flotilla-controller")).get("args"))
        .contains("--federation-member=alice", "--join").noneMatch(a -> a.toString().startsWith("--enroll-federation"));
    Map<String, Map<String, Object>> joinOnly = FlotillaChart.byId(FlotillaChart.render(Map.of("federation", Map.of("join", true))));
    assertThat(joinOnly).as("a join without a member still mirrors the Federation")
        .containsKeys("Role/flotilla-system/flotilla-controller-federation", "Role/flotilla-system/flotilla-controller-join");
  }

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  @DisplayName("federation.enroll: the Service and Ingress of config/enroll-endpoint (SNI passthrough of flotilla-enroll.server.<domain> "
      + "to --enroll-port), the host from the value's domain; enrollIngress=false keeps the Service only; none by default")
  void enrollEndpoint() {
    assertThat(FlotillaChart.byId(FlotillaChart.render()))
        .doesNotContainKeys("Service/flotilla-system/flotilla-enroll", "Ingress/flotilla-system/flotilla-enroll");
    Map<String, Map<String, Object>> shipped = FlotillaChart.byId(Stream.of("service.yaml", "ingress.yaml")
        .flatMap(f -> FlotillaChart.parse(readRepo("config/enroll-endpoint/" + f)).stream()).toList());
    Map<String, Map<String, Object>> coordinator = FlotillaChart.byId(FlotillaChart.render(Map.of("federation",
        Map.of("member", "coord", "enroll", "default/fl.example.org"))));
    for (String id : List.of("Service/flotilla-system/flotilla-enroll", "Ingress/flotilla-system/flotilla-enroll")) {
      assertThat(shipped).containsKey(id);
      assertThat(FlotillaChart.yaml(coordinator.get(id).get("spec"))).as(id + " spec").isEqualTo(FlotillaChart.yaml(shipped.get(id).get("spec")));
      assertThat(map(coordinator.get(id), "metadata").get("annotations")).as(id + " annotations")
          .isEqualTo(map(shipped.get(id), "metadata").get("annotations"));
    }
    assertThat(FlotillaChart.yaml(map(coordinator.get("Ingress/flotilla-system/flotilla-enroll"), "spec")))
        .contains("host: \"flotilla-enroll.server.fl.example.org\"", "ingressClassName: \"nginx\"");
    assertThat(map(coordinator.get("Ingress/flotilla-system/flotilla-enroll"), "metadata", "annotations"))
        .containsEntry("nginx.ingress.kubernetes.io/ssl-passthrough", "true");
    Map<String, Object> selector = map(coordinator.get("Service/flotilla-system/flotilla-enroll"), "spec", "selector");
    assertThat(map(coordinator.get("Deployment/flotilla-system/flotilla-controller"), "spec", "template", "metadata", "labels"))
        .as("the Service selects the controller pods").containsAllEntriesOf((Map) selector);

    Map<String, Map<String, Object>> elsewhere = FlotillaChart.byId(FlotillaChart.render(Map.of("federation",
        Map.of("enroll", "jobs/hospitals.example.net"))));
    assertThat(FlotillaChart.yaml(map(elsewhere.get("Ingress/flotilla-system/flotilla-enroll"), "spec")))
        .contains("host: \"flotilla-enroll.server.hospitals.example.net\"");
    Map<String, Map<String, Object>> ownRoute = FlotillaChart.byId(FlotillaChart.render(Map.of("federation",
        Map.of("enroll", "default/fl.example.org", "enrollIngress", false))));
    assertThat(ownRoute).containsKey("Service/flotilla-system/flotilla-enroll").doesNotContainKey("Ingress/flotilla-system/flotilla-enroll");
  }

  @Test
  @SuppressWarnings("unchecked")
  @DisplayName("federation.enrollAttemptsPerMinute and enrollCertificatesPerOrganisation reach the controller's "
      + "--enroll-attempts-per-minute and --enroll-certificates-per-organisation, as values the controller's own options parse, "
      + "only with federation.enroll; their defaults are the controller's")
  void enrollBounds() {
    List<ConfigOption<Integer>> flags = List.of(ControllerOptions.ENROLL_ATTEMPTS_PER_MINUTE,
        ControllerOptions.ENROLL_CERTIFICATES_PER_ORGANISATION);
    Map<String, Object> set = Map.of("enroll", "flotilla-jobs/fl.example.org", "enrollAttemptsPerMinute", 12,
        "enrollCertificatesPerOrganisation", 1_000_000);
    List<Object> args = (List<Object>) container(FlotillaChart.byId(FlotillaChart.render(Map.of("federation", set)))
        .get("Deployment/flotilla-system/flotilla-controller")).get("args");
    assertThat(args).contains("--enroll-attempts-per-minute=12", "--enroll-certificates-per-organisation=1000000");
    assertThat(ControllerOptions.ENROLL_ATTEMPTS_PER_MINUTE.parse(valueOf(args, ControllerOptions.ENROLL_ATTEMPTS_PER_MINUTE)))
        .isEqualTo(12);
    assertThat(ControllerOptions.ENROLL_CERTIFICATES_PER_ORGANISATION.parse(
        valueOf(args, ControllerOptions.ENROLL_CERTIFICATES_PER_ORGANISATION))).isEqualTo(1_000_000);

    List<Object> defaults = (List<Object>) container(FlotillaChart.byId(FlotillaChart.render(Map.of("federation",
        Map.of("enroll", "flotilla-jobs/fl.example.org")))).get("Deployment/flotilla-system/flotilla-controller")).get("args");
    assertThat(flags).allSatisfy(flag -> assertThat(defaults).contains(flag.assignment(flag.defaultValue())));

    Map<String, Object> withoutEnroll = new java.util.HashMap<>(set);
    withoutEnroll.remove("enroll");
    List<Object> party = (List<Object>) container(FlotillaChart.byId(FlotillaChart.render(Map.of("federation", withoutEnroll)))
        .get("Deployment/flotilla-system/flotilla-controller")).get("args");
    assertThat(flags).allSatisfy(flag -> assertThat(flag.isIn(party.stream().map(Object::toString).toList())).isFalse());
  }

  @ParameterizedTest(name = "{0} = {1}")
  @MethodSource("enrollBoundEdges")
  @DisplayName("the schema's bounds of the enrollment endpoint's two values are the flags' own: what the schema refuses, "
      + "naming the key, the flag refuses too, and what it renders the flag parses")
  void enrollBoundsMatchTheFlags(String key, long value, ConfigOption<Integer> flag) {
    Map<String, Object> values = Map.of("federation", Map.of("enroll", "flotilla-jobs/fl.example.org", key, value));
    boolean flagAccepts;
    try {
      flag.parse(Long.toString(value));
      flagAccepts = true;
    } catch (IllegalArgumentException e) {
      flagAccepts = false;
    }
    if (flagAccepts) {
      @SuppressWarnings("unchecked")
      List<Object> args = (List<Object>) container(FlotillaChart.byId(FlotillaChart.render(values))
          .get("Deployment/flotilla-system/flotilla-controller")).get("args");
      assertThat(args).contains(flag.flag() + "=" + value);
    } else {
      assertThatThrownBy(() -> FlotillaChart.render(values)).hasMessageContaining("schema").hasMessageContaining(key);
    }
  }

  static Stream<Arguments> enrollBoundEdges() {
    return Stream.of("enrollAttemptsPerMinute", "enrollCertificatesPerOrganisation").flatMap(key -> {
      ConfigOption<Integer> flag = key.equals("enrollAttemptsPerMinute") ? ControllerOptions.ENROLL_ATTEMPTS_PER_MINUTE
          : ControllerOptions.ENROLL_CERTIFICATES_PER_ORGANISATION;
      return Stream.of(-1L, 0L, 1L, (long) Integer.MAX_VALUE, Integer.MAX_VALUE + 1L).map(v -> Arguments.of(key, v, flag));
    });
  }

  static String valueOf(List<Object> args, ConfigOption<?> flag) {
    return args.stream().map(Object::toString).filter(a -> a.startsWith(flag.flag() + "=")).findFirst()
        .map(a -> a.substring(flag.flag().length() + 1)).orElseThrow();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> kustomizeRole(String file) {
    return FlotillaChart.parse(readRepo(file)).stream()
        .filter(o -> "Role".equals(o.get("kind"))).findFirst().orElseThrow();
  }

  static String readRepo(String file) {
    try {
      return Files.readString(Samples.repoRoot().resolve(file));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  @DisplayName("podHostAliases, coreDnsConfigMap and extraArgs reach the controller's arguments; a changed ConfigMap changes the pods' checksum")
  void controllerOptions() {
    Map<String, Map<String, Object>> defaults = FlotillaChart.byId(FlotillaChart.render());
    Map<String, Map<String, Object>> objects = FlotillaChart.byId(FlotillaChart.render(Map.of("podHostAliases", true,
        "coreDnsConfigMap", "dns/corefile", "extraArgs", List.of("--ingress-address=10.0.0.7", "--allowed-domain=fl.example.org"))));
    assertThat(watch(objects)).containsEntry("hosts", "--pod-host-aliases");
    Map<String, Object> deployment = objects.get("Deployment/flotilla-system/flotilla-controller");
    // the chart's healthPort default is the controller's own --health-port default
    String healthPort = ControllerOptions.HEALTH_PORT.assignment(ControllerOptions.HEALTH_PORT.defaultValue());
    assertThat(container(deployment).get("args")).isEqualTo(List.of(healthPort, "$(FLOTILLA_WATCH)",
        "$(FLOTILLA_HOSTS)", "--coredns-configmap=dns/corefile", "--ingress-address=10.0.0.7", "--allowed-domain=fl.example.org"));
    assertThat(objects).containsKeys("Role/dns/flotilla-controller-coredns", "RoleBinding/dns/flotilla-controller-coredns");
    assertThat(rules(objects.get("Role/dns/flotilla-controller-coredns")).get(0)).containsEntry("resourceNames", List.of("corefile"));
    assertThat(checksum(deployment)).isNotEqualTo(checksum(defaults.get("Deployment/flotilla-system/flotilla-controller")));
  }

  @Test
  @DisplayName("refuses values that cannot work, naming the value: no namespace to watch, a CoreDNS ConfigMap without its namespace, gateway.create without gateway.name")
  void refusals() {
    assertThatThrownBy(() -> FlotillaChart.render(Map.of("watch", Map.of("namespaces", List.of()))))
        .hasMessageContaining("watch.namespaces must name at least one namespace");
    assertThatThrownBy(() -> FlotillaChart.render(Map.of("coreDnsConfigMap", "coredns")))
        .hasMessageContaining("coreDnsConfigMap");
    assertThatThrownBy(() -> FlotillaChart.render(Map.of("gateway", Map.of("create", true))))
        .hasMessageContaining("gateway.create needs gateway.name");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileValues")
  @DisplayName("values.schema.json refuses values of the wrong shape before anything is rendered, naming the key")
  void schemaRefuses(String key, Map<String, Object> values) {
    assertThatThrownBy(() -> FlotillaChart.render(values)).hasMessageContaining("schema").hasMessageContaining(key);
  }

  static Stream<Arguments> hostileValues() {
    return Stream.of(
        Arguments.of("replicas", Map.of("replicas", 0)),
        Arguments.of("tag", Map.of("image", Map.of("tag", "latest"))),
        Arguments.of("pullPolicy", Map.of("image", Map.of("pullPolicy", "Sometimes"))),
        Arguments.of("namespaces", Map.of("watch", Map.of("namespaces", List.of("Team_A")))),
        Arguments.of("extraArgs", Map.of("extraArgs", List.of("; rm -rf /"))),
        Arguments.of("healthPort", Map.of("healthPort", 70000)),
        Arguments.of("wacth", Map.of("wacth", Map.of("allNamespaces", true))),
        Arguments.of("name", Map.of("gateway", Map.of("name", "flotilla"))),
        Arguments.of("kind", Map.of("addressFrom", List.of(Map.of("kind", "Secret", "namespace", "kube-system", "name", "x")))),
        Arguments.of("namespace", Map.of("addressFrom", List.of(Map.of("kind", "Gateway", "name", "public")))),
        Arguments.of("enroll", Map.of("federation", Map.of("enroll", "fl.example.org"))),
        Arguments.of("join", Map.of("federation", Map.of("join", "alice"))),
        Arguments.of("enrollIngress", Map.of("federation", Map.of("enroll", "default/fl.example.org", "enrollIngress", "no"))),
        Arguments.of("enrollAttemptsPerMinute", Map.of("federation", Map.of("enroll", "default/fl.example.org",
            "enrollAttemptsPerMinute", "many"))),
        Arguments.of("enrollCertificatesPerOrganisation", Map.of("federation", Map.of("enroll", "default/fl.example.org",
            "enrollCertificatesPerOrganisation", 2.5))));
  }

  @Test
  @DisplayName("documents every value: a comment above each key of values.yaml and a row in the README's table")
  void valuesDocumented() throws IOException {
    List<String> lines = Files.readAllLines(FlotillaChart.directory().resolve("values.yaml"));
    String readme = Files.readString(FlotillaChart.directory().resolve("README.md"));
    List<String> keys = ValuesKeys.of(lines);
    assertThat(keys).contains("image.repository", "image.tag", "watch.allNamespaces", "watch.namespaces", "podHostAliases",
        "extraArgs", "resources");
    for (String key : keys) {
      assertThat(readme).as("README.md row for " + key).contains("| `" + key + "` |");
      assertThat(ValuesKeys.commented(lines, key)).as("comment above " + key + " in values.yaml").isTrue();
    }
  }

  static Map<String, Object> watch(Map<String, Map<String, Object>> objects) {
    return map(objects.get("ConfigMap/flotilla-system/flotilla-controller-watch"), "data");
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> rules(Map<String, Object> role) {
    return (List<Map<String, Object>>) role.get("rules");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> container(Map<String, Object> deployment) {
    return ((List<Map<String, Object>>) map(deployment, "spec", "template", "spec").get("containers")).get(0);
  }

  static Object checksum(Map<String, Object> deployment) {
    return map(deployment, "spec", "template", "metadata", "annotations").get(FlotillaChart.CHECKSUM_ANNOTATION);
  }

  static String projectVersion() throws IOException {
    Matcher m = Pattern.compile("<artifactId>flotilla-parent</artifactId>\\s*<version>([^<]+)</version>")
        .matcher(Files.readString(Samples.repoRoot().resolve("pom.xml")));
    assertThat(m.find()).as("the parent pom's version").isTrue();
    return m.group(1);
  }
}
