package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.GatewayRef;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.k8s.networking.gateway.v1.TLSRoute;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * spec.route: gateway on a real kube-apiserver with the upstream Gateway API CRDs (TLSRoute v1 and
 * Gateway, standard channel v1.6.1) installed: the API server validates every TLSRoute the
 * controller writes against the published OpenAPI schema. No Gateway implementation runs here,
 * so the test writes the Gateway's and the route's status as one would.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("spec.route: gateway — a TLSRoute v1 on the Gateway's passthrough listener, accepted by a real kube-apiserver")
class GatewayRouteIT extends OnKubeApiServer {

  static final String NS = "fl";
  static final String GATEWAY_NS = "gateway-system";
  static final String GATEWAY_IP = "203.0.113.9";
  static final GatewayRef GATEWAY = new GatewayRef(GATEWAY_NS, "shared", "fl-passthrough", null, Map.of());
  static final Duration WAIT = Duration.ofSeconds(60);

  static KubernetesClient client;
  static Controller controller;

  /** A Flotilla aggregator in passthrough mode, routed through the Gateway. */
  static final String SERVER = """
      apiVersion: git.iflytek.com/v1
      kind: IflearnerJob
      metadata:
        name: gw-server
      spec:
        role: server
        host: gw.server.fl.example.org
        route: gateway
        port: 8443
        template:
          spec:
            containers:
            - name: server
              image: localhost/flotilla/server:0.1.0-SNAPSHOT
              args: [--port=8443]
      """;

  /** An iflearner image: terminate mode by default, which a TLSRoute cannot carry. */
  static final String IFLEARNER = """
      apiVersion: git.iflytek.com/v1
      kind: IflearnerJob
      metadata:
        name: gw-iflearner
      spec:
        role: server
        host: gwi.server.iflearner.com
        route: gateway
        template:
          spec:
            containers:
            - name: server
              image: ghcr.io/iflytek/iflearner:v0.1.0
      """;

  static final String GATEWAY_YAML = """
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata:
        name: shared
        namespace: gateway-system
      spec:
        gatewayClassName: example
        listeners:
        - name: https
          protocol: HTTPS
          port: 443
        - name: fl-passthrough
          protocol: TLS
          port: 8443
          tls:
            mode: Passthrough
          allowedRoutes:
            kinds: [{kind: TLSRoute}]
            namespaces: {from: All}
      """;

  @BeforeAll
  static void start() {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.coreDnsConfigMap(client);
    KubeApi.installCrd(client);
    KubeApi.installGatewayApiCrds(client);
    KubeApi.namespace(client, NS);
    KubeApi.namespace(client, GATEWAY_NS);
    KubeApi.namespace(client, "flotilla-system");
    client.resource(Serialization.unmarshal(GATEWAY_YAML, Gateway.class)).create();
    // what the Gateway's implementation would publish once it has an address
    Gateway gateway = client.resources(Gateway.class).inNamespace(GATEWAY_NS).withName("shared").get();
    gateway.setStatus(new io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusBuilder()
        .addNewAddress().withType("IPAddress").withValue(GATEWAY_IP).endAddress().build());
    client.resource(gateway).updateStatus();

    ControllerConfig config = ControllerConfig.defaults().withScope(WatchScope.of(NS)).withControllerNamespace("flotilla-system")
        .withGateway(GATEWAY);
    controller = new Controller(client, config, new ControllerMetrics(new PrometheusRegistry()));
    controller.start();
    for (String yaml : new String[] {SERVER, IFLEARNER}) {
      client.genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace(NS)
          .resource(Serialization.unmarshal(yaml, GenericKubernetesResource.class)).create();
    }
  }

  @AfterAll
  static void stop() {
    if (controller != null) {
      controller.close();
    }
    if (client != null) {
      client.close();
    }
  }

  static IflearnerJob job(String name) {
    return client.resources(IflearnerJob.class).inNamespace(NS).withName(name).get();
  }

  static TLSRoute route(String name) {
    return client.resources(TLSRoute.class).inNamespace(NS).withName(name).get();
  }

  static Condition condition(IflearnerJob job, String type) {
    return job.getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
  }

  @Test
  @Order(1)
  @DisplayName("a job with route gateway gets a TLSRoute the API server stored as written (host, listener, Service port), and no Ingress")
  void tlsRoute() {
    await("TLSRoute of gw-server").atMost(WAIT).untilAsserted(() -> {
      IflearnerJob j = job("gw-server");
      assertThat(j.getStatus()).isNotNull();
      assertThat(condition(j, "TLSRouteReady")).isNotNull().satisfies(c -> {
        assertThat(c.getStatus()).as(c.getMessage()).isEqualTo("True");
        assertThat(c.getReason()).isEqualTo("Applied");
        assertThat(c.getMessage()).contains("gw.server.fl.example.org", "listener fl-passthrough", "gateway-system/shared",
            "gw-server:8443");
      });
      assertThat(condition(j, "IngressReady")).isNull();
    });
    TLSRoute route = route("gw-server");
    assertThat(route.getSpec().getHostnames()).containsExactly("gw.server.fl.example.org");
    assertThat(route.getSpec().getParentRefs()).singleElement().satisfies(p -> {
      assertThat(p.getNamespace()).isEqualTo(GATEWAY_NS);
      assertThat(p.getName()).isEqualTo("shared");
      assertThat(p.getSectionName()).isEqualTo("fl-passthrough");
    });
    assertThat(route.getSpec().getRules()).singleElement().satisfies(r -> assertThat(r.getBackendRefs()).singleElement()
        .satisfies(b -> {
          assertThat(b.getName()).isEqualTo("gw-server");
          assertThat(b.getPort()).isEqualTo(8443);
          assertThat(client.services().inNamespace(NS).withName("gw-server").get().getSpec().getPorts().get(0).getPort())
              .isEqualTo(8443);
        }));
    assertThat(route.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getKind()).isEqualTo("IflearnerJob");
      assertThat(o.getName()).isEqualTo("gw-server");
    });
    assertThat(route.getMetadata().getManagedFields()).anySatisfy(m -> assertThat(m.getManager()).isEqualTo("flotilla-controller"));
    assertThat(client.network().v1().ingresses().inNamespace(NS).withName("gw-server").get()).isNull();
  }

  @Test
  @Order(2)
  @DisplayName("the API server validates TLSRoutes against the upstream schema: an IP, an upper-case host or a port above 65535 is refused")
  void schemaIsReal() {
    for (String[] bad : new String[][] {
        {"hostnames: [Gw.Server.Example.Org]", "hostnames"},
        {"hostnames: [a.example.org]\n  rules: [{backendRefs: [{name: s, port: 70000}]}]", "port"},
        {"hostnames: []", "hostnames"}}) {
      String yaml = """
          apiVersion: gateway.networking.k8s.io/v1
          kind: TLSRoute
          metadata: {name: bad, namespace: fl}
          spec:
            parentRefs: [{name: shared, namespace: gateway-system}]
            %s
          """.formatted(bad[0].contains("rules") ? bad[0] : bad[0] + "\n  rules: [{backendRefs: [{name: s, port: 1}]}]");
      assertThatThrownBy(() -> client.resource(Serialization.unmarshal(yaml, GenericKubernetesResource.class)).create())
          .as(bad[0]).isInstanceOfSatisfying(KubernetesClientException.class, e -> {
            assertThat(e.getCode()).isEqualTo(422);
            assertThat(e.getMessage()).contains(bad[1]);
          });
    }
  }

  @Test
  @Order(3)
  @DisplayName("the DNS record answers the Gateway's status address, and the NetworkPolicy lets in the Gateway's namespace, not ingress-nginx's")
  void addressAndIsolation() {
    await("record of gw-server").atMost(WAIT).untilAsserted(() ->
        assertThat(KubeApi.corefile(client)).contains("gw.server.fl.example.org").contains(GATEWAY_IP));
    assertThat(condition(job("gw-server"), "DNSReady").getStatus()).isEqualTo("True");
    NetworkPolicy np = client.network().v1().networkPolicies().inNamespace(NS).withName("gw-server-isolation").get();
    assertThat(np.getSpec().getIngress().get(0).getFrom()).singleElement().satisfies(peer -> {
      assertThat(peer.getNamespaceSelector().getMatchLabels()).containsExactly(Map.entry("kubernetes.io/metadata.name", GATEWAY_NS));
      assertThat(peer.getPodSelector()).isNull();
    });
    assertThat(np.getSpec().getEgress().get(1).getTo()).extracting(p -> p.getIpBlock() == null ? null : p.getIpBlock().getCidr())
        .contains(GATEWAY_IP + "/32");
  }

  @Test
  @Order(4)
  @DisplayName("when the Gateway's implementation refuses the route (Accepted=False), the job's TLSRouteReady says so with its reason")
  void notAccepted() {
    TLSRoute route = route("gw-server");
    route.setStatus(Serialization.unmarshal("""
        parents:
        - parentRef: {group: gateway.networking.k8s.io, kind: Gateway, name: shared, namespace: gateway-system, sectionName: fl-passthrough}
          controllerName: example.org/gateway
          conditions:
          - {type: Accepted, status: "False", reason: NotAllowedByListeners, message: "namespace fl may not attach", lastTransitionTime: "2026-12-05T00:00:00Z", observedGeneration: 1}
        """, io.k8s.networking.gateway.v1.TLSRouteStatus.class));
    client.resource(route).updateStatus();
    await("NotAccepted").atMost(WAIT).untilAsserted(() -> assertThat(condition(job("gw-server"), "TLSRouteReady")).satisfies(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("NotAccepted");
      assertThat(c.getMessage()).contains("NotAllowedByListeners", "namespace fl may not attach");
    }));
    route = route("gw-server");
    route.getStatus().getParents().get(0).getConditions().get(0).setStatus(
        io.k8s.networking.gateway.v1.tlsroutestatus.parents.Conditions.Status.True);
    route.getStatus().getParents().get(0).getConditions().get(0).setReason("Accepted");
    client.resource(route).updateStatus();
    await("Accepted").atMost(WAIT).untilAsserted(() -> assertThat(condition(job("gw-server"), "TLSRouteReady")).satisfies(c -> {
      assertThat(c.getStatus()).isEqualTo("True");
      assertThat(c.getReason()).isEqualTo("Accepted");
    }));
  }

  @Test
  @Order(5)
  @DisplayName("a terminate-mode job (iflearner image) with route gateway is refused with a message, and gets neither a TLSRoute nor an Ingress")
  void terminateRefused() {
    await("gw-iflearner refused").atMost(WAIT).untilAsserted(() -> assertThat(condition(job("gw-iflearner"), "TLSRouteReady"))
        .isNotNull().satisfies(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getReason()).isEqualTo("GatewayRouteRefused");
          assertThat(c.getMessage()).contains("terminate", "ghcr.io/iflytek/iflearner:v0.1.0", "spec.route: ingress");
        }));
    assertThat(route("gw-iflearner")).isNull();
    assertThat(client.network().v1().ingresses().inNamespace(NS).withName("gw-iflearner").get()).isNull();
    assertThat(client.v1().events().inNamespace(NS).list().getItems())
        .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("GatewayRouteRefused"));
  }

  @Test
  @Order(6)
  @DisplayName("switching the job back to route ingress deletes its TLSRoute and makes its Ingress; NetworkPolicy back to ingress-nginx")
  void backToIngress() {
    // no --pod-host-aliases here, so nothing of the pod depends on the route: it is neither replaced nor edited
    String podUid = client.pods().inNamespace(NS).withName("gw-server").get().getMetadata().getUid();
    client.resources(IflearnerJob.class).inNamespace(NS).withName("gw-server").edit(j -> {
      j.getSpec().setRoute(dev.flotilla.controller.api.Route.INGRESS);
      return j;
    });
    await("Ingress instead of TLSRoute").atMost(WAIT).untilAsserted(() -> {
      assertThat(route("gw-server")).isNull();
      Ingress ingress = client.network().v1().ingresses().inNamespace(NS).withName("gw-server").get();
      assertThat(ingress).isNotNull();
      assertThat(ingress.getSpec().getRules().get(0).getHost()).isEqualTo("gw.server.fl.example.org");
      IflearnerJob j = job("gw-server");
      assertThat(condition(j, "IngressReady")).isNotNull().extracting(Condition::getStatus).isEqualTo("True");
      assertThat(condition(j, "TLSRouteReady")).isNull();
      assertThat(client.network().v1().networkPolicies().inNamespace(NS).withName("gw-server-isolation").get()
          .getSpec().getIngress().get(0).getFrom().get(0).getNamespaceSelector().getMatchLabels())
          .containsEntry("kubernetes.io/metadata.name", "ingress-nginx");
    });
    // and forth again: the Ingress goes, the TLSRoute comes back
    client.resources(IflearnerJob.class).inNamespace(NS).withName("gw-server").edit(j -> {
      j.getSpec().setRoute(dev.flotilla.controller.api.Route.GATEWAY);
      return j;
    });
    await("TLSRoute instead of Ingress").atMost(WAIT).untilAsserted(() -> {
      assertThat(route("gw-server")).isNotNull();
      assertThat(client.network().v1().ingresses().inNamespace(NS).withName("gw-server").get()).isNull();
    });
    assertThat(client.pods().inNamespace(NS).withName("gw-server").get().getMetadata().getUid()).isEqualTo(podUid);
  }
}
