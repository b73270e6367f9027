package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Route;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.k8s.networking.gateway.v1.TLSRoute;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * config/gateway applied as shipped (config/default's RBAC plus the Role reading the one Gateway)
 * on a real kube-apiserver with RBAC, and the controller running as its ServiceAccount with a
 * token the API server issued and the --gateway the overlay's ConfigMap gives: the shipped RBAC
 * lets it route a job through the Gateway and nothing more.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("least privilege with Gateway API: config/gateway's identity makes, watches and deletes TLSRoutes and reads only its Gateway")
class GatewayPrivilegeIT extends OnKubeApiServer {

  static final String JOBS = "default";
  static final String GATEWAY_NS = "flotilla-gateway";
  static final String VICTIM = "victim";
  static final String GATEWAY_IP = "198.51.100.20";
  static final Duration WAIT = Duration.ofSeconds(60);

  static KubeApi.ShippedDeployment deployment;
  static KubernetesClient admin;
  static KubernetesClient asController;

  static final String SERVER = """
      apiVersion: git.iflytek.com/v1
      kind: IflearnerJob
      metadata:
        name: gwp-server
      spec:
        role: server
        host: gwp.server.fl.example.org
        route: gateway
        port: 8443
        template:
          spec:
            containers:
            - name: server
              image: localhost/flotilla/server:0.1.0-SNAPSHOT
              args: [--port=8443]
      """;

  static String otherGateway(String namespace, String name) {
    return """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: %s, namespace: %s}
        spec:
          gatewayClassName: other
          listeners: [{name: tls, protocol: TLS, port: 443, tls: {mode: Passthrough}}]
        """.formatted(name, namespace);
  }

  @BeforeAll
  static void deployAndStart() {
    deployment = new KubeApi.ShippedDeployment(kubeConfigYaml, "config/gateway");
    admin = deployment.admin;
    KubeApi.namespaceWithSecret(admin, VICTIM);
    for (String[] g : new String[][] {{GATEWAY_NS, "other"}, {VICTIM, "flotilla"}}) {
      admin.resource(Serialization.unmarshal(otherGateway(g[0], g[1]), Gateway.class)).create();
    }
    // the shipped Gateway's address, as its implementation would publish it
    Gateway shipped = admin.resources(Gateway.class).inNamespace(GATEWAY_NS).withName("flotilla").get();
    shipped.setStatus(new GatewayStatusBuilder().addNewAddress().withType("IPAddress").withValue(GATEWAY_IP).endAddress().build());
    admin.resource(shipped).updateStatus();

    ControllerConfig config = deployment.startController();
    assertThat(config.gateway().ref()).isEqualTo(GATEWAY_NS + "/flotilla");
    assertThat(config.gateway().listener()).isEqualTo("tls-passthrough");
    asController = deployment.asController();
    admin.genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace(JOBS)
        .resource(Serialization.unmarshal(SERVER, GenericKubernetesResource.class)).create();
  }

  @AfterAll
  static void stop() {
    if (deployment != null) {
      deployment.close();
    }
  }

  static IflearnerJob job() {
    return admin.resources(IflearnerJob.class).inNamespace(JOBS).withName("gwp-server").get();
  }

  @Test
  @Order(1)
  @DisplayName("as its ServiceAccount it applies the job's TLSRoute on the shipped listener and publishes the Gateway's address")
  void routesThroughTheGateway() {
    await("gwp-server routed").atMost(WAIT).untilAsserted(() -> {
      IflearnerJob j = job();
      assertThat(j.getStatus()).isNotNull();
      assertThat(j.getStatus().getConditions()).extracting(c -> c.getType() + "=" + c.getStatus())
          .as("%s", j.getStatus().getConditions())
          .contains("CertificatesReady=True", "TLSRouteReady=True", "DNSReady=True", "NetworkPolicyReady=True")
          .doesNotContain("IngressReady=True");
    });
    TLSRoute route = admin.resources(TLSRoute.class).inNamespace(JOBS).withName("gwp-server").get();
    assertThat(route.getSpec().getParentRefs()).singleElement().satisfies(p -> {
      assertThat(p.getNamespace()).isEqualTo(GATEWAY_NS);
      assertThat(p.getName()).isEqualTo("flotilla");
      assertThat(p.getSectionName()).isEqualTo("tls-passthrough");
    });
    assertThat(KubeApi.corefile(admin)).contains("gwp.server.fl.example.org", GATEWAY_IP);
    assertThat(admin.network().v1().ingresses().inNamespace(JOBS).withName("gwp-server").get()).isNull();
  }

  @Test
  @Order(2)
  @DisplayName("its identity reads only the one Gateway: 403 for another Gateway beside it, listing them, a Gateway elsewhere, and writing its own")
  void readsOnlyItsGateway() {
    assertThat(asController.resources(Gateway.class).inNamespace(GATEWAY_NS).withName("flotilla").get()).isNotNull();
    KubeApi.assertForbidden(() -> asController.resources(Gateway.class).inNamespace(GATEWAY_NS).withName("other").get(),
        "get Gateway other in " + GATEWAY_NS);
    KubeApi.assertForbidden(() -> asController.resources(Gateway.class).inNamespace(GATEWAY_NS).list(), "list Gateways in " + GATEWAY_NS);
    KubeApi.assertForbidden(() -> asController.resources(Gateway.class).inNamespace(VICTIM).withName("flotilla").get(),
        "get a Gateway in " + VICTIM);
    KubeApi.assertForbidden(() -> asController.resources(Gateway.class).inNamespace(GATEWAY_NS).withName("flotilla")
        .edit(g -> {
          g.getSpec().getListeners().get(0).setPort(8443);
          return g;
        }), "edit its Gateway");
  }

  @Test
  @Order(3)
  @DisplayName("TLSRoutes only in the watched namespace: 403 creating one elsewhere or listing them cluster-wide")
  void tlsRoutesOnlyWhereItWatches() {
    TLSRoute elsewhere = admin.resources(TLSRoute.class).inNamespace(JOBS).withName("gwp-server").get();
    elsewhere.getMetadata().setNamespace(VICTIM);
    elsewhere.getMetadata().setResourceVersion(null);
    elsewhere.getMetadata().setUid(null);
    elsewhere.getMetadata().setOwnerReferences(List.of());
    elsewhere.getMetadata().setManagedFields(null);
    KubeApi.assertForbidden(() -> asController.resource(elsewhere).create(), "create a TLSRoute in " + VICTIM);
    KubeApi.assertForbidden(() -> asController.resources(TLSRoute.class).inAnyNamespace().list(), "list TLSRoutes in all namespaces");
  }

  @Test
  @Order(4)
  @DisplayName("switched to route ingress, its identity deletes the TLSRoute and makes the Ingress")
  void deletesTheRoute() {
    admin.resources(IflearnerJob.class).inNamespace(JOBS).withName("gwp-server").edit(j -> {
      j.getSpec().setRoute(Route.INGRESS);
      return j;
    });
    await("TLSRoute deleted").atMost(WAIT).untilAsserted(() -> {
      assertThat(admin.resources(TLSRoute.class).inNamespace(JOBS).withName("gwp-server").get()).isNull();
      assertThat(admin.network().v1().ingresses().inNamespace(JOBS).withName("gwp-server").get()).isNotNull();
    });
  }
}
