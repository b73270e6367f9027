package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.chart.FlotillaChart;
import dev.flotilla.controller.federation.PublishedAddresses;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The right to read a coordinator's {@code addressFrom} object, on a real kube-apiserver with RBAC: config/default
 * applied as shipped, then config/address-from (kustomize) and the chart's {@code addressFrom} Roles, each read as the
 * controller's ServiceAccount with a token the API server issued. Without the manifest the enrollment endpoint's read
 * ({@link PublishedAddresses}) is refused; with it that one object is read and nothing beside it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("addressFrom RBAC: the controller's ServiceAccount may get the one Gateway or Ingress named, only with the manifest")
class AddressFromPrivilegeIT extends OnKubeApiServer {

  static final String NS = "gateway-system";
  static final Duration WAIT = Duration.ofSeconds(60);
  static final FederationSpec.AddressFrom GATEWAY = new FederationSpec.AddressFrom("Gateway", NS, "public");
  static final FederationSpec.AddressFrom INGRESS = new FederationSpec.AddressFrom("Ingress", NS, "front");

  static KubeApi.ShippedDeployment deployment;
  static KubernetesClient admin;
  static KubernetesClient asController;

  @BeforeAll
  static void deploy() {
    deployment = new KubeApi.ShippedDeployment(kubeConfigYaml, "config/default");
    admin = deployment.admin;
    KubeApi.installGatewayApiCrds(admin);
    KubeApi.namespace(admin, NS);
    for (String name : List.of("public", "other")) {
      Gateway g = admin.resource(Serialization.unmarshal("""
          apiVersion: gateway.networking.k8s.io/v1
          kind: Gateway
          metadata: {name: %s, namespace: %s}
          spec:
            gatewayClassName: example
            listeners: [{name: tls, protocol: TLS, port: 443, tls: {mode: Passthrough}}]
          """.formatted(name, NS), Gateway.class)).create();
      g.setStatus(new GatewayStatusBuilder().addNewAddress().withType("IPAddress")
          .withValue("public".equals(name) ? "198.51.100.30" : "198.51.100.31").endAddress().build());
      admin.resource(g).updateStatus();
    }
    Ingress ingress = admin.resource(new IngressBuilder().withNewMetadata().withName("front").withNamespace(NS).endMetadata()
        .withNewSpec().withIngressClassName("nginx").withNewDefaultBackend().withNewService().withName("controller")
        .withNewPort().withNumber(443).endPort().endService().endDefaultBackend().endSpec().build()).create();
    ingress.setStatus(new IngressStatusBuilder().withNewLoadBalancer()
        .withIngress(new IngressLoadBalancerIngressBuilder().withIp("198.51.100.32").build()).endLoadBalancer().build());
    admin.resource(ingress).updateStatus();
    asController = KubeApi.serviceAccountClient(admin, kubeConfigYaml, KubeApi.ShippedDeployment.NAMESPACE,
        KubeApi.ShippedDeployment.SERVICE_ACCOUNT);
  }

  @AfterAll
  static void stop() {
    if (asController != null) {
      asController.close();
    }
    if (deployment != null) {
      deployment.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("config/default alone: reading the Gateway is refused (403 to the ServiceAccount) and the address stays unknown")
  void refusedWithoutTheManifest() {
    KubeApi.assertForbidden(() -> asController.resources(Gateway.class).inNamespace(NS).withName("public").get(), "get the Gateway");
    assertThat(new PublishedAddresses(asController).apply(GATEWAY)).isNull();
  }

  @Test
  @Order(2)
  @DisplayName("config/address-from: the Gateway gateway-system/public is read (its status IP); the other Gateway there, a list, "
      + "a watch and an Ingress are still refused")
  void kustomizeManifest() {
    KubeApi.applyKustomization(admin, dev.flotilla.controller.model.Samples.repoRoot().resolve("config/address-from"));
    await("the Role is in force").atMost(WAIT).ignoreExceptions()
        .until(() -> "198.51.100.30".equals(new PublishedAddresses(asController).apply(GATEWAY)));
    KubeApi.assertForbidden(() -> asController.resources(Gateway.class).inNamespace(NS).withName("other").get(),
        "get another Gateway");
    KubeApi.assertForbidden(() -> asController.resources(Gateway.class).inNamespace(NS).list(), "list Gateways");
    // a refused watch comes back over the websocket upgrade: 403, without the API server's message naming the user
    assertThatThrownBy(() -> asController.resources(Gateway.class).inNamespace(NS).withName("public")
        .watch(new io.fabric8.kubernetes.client.Watcher<>() {
          @Override
          public void eventReceived(Action action, Gateway resource) {}

          @Override
          public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {}
        }).close()).as("watch the Gateway").isInstanceOfSatisfying(KubernetesClientException.class,
            e -> assertThat(e.getCode()).isEqualTo(403));
    KubeApi.assertForbidden(() -> asController.network().v1().ingresses().inNamespace(NS).withName("front").get(), "get an Ingress");
    assertThat(new PublishedAddresses(asController).apply(INGRESS)).isNull();
  }

  @Test
  @Order(3)
  @DisplayName("the chart's addressFrom [{Ingress gateway-system/front}], applied as Helm renders it: that Ingress is read (its "
      + "load balancer IP); Secrets there stay refused")
  void chartRoles() {
    List<Map<String, Object>> rendered = FlotillaChart.render(Map.of("addressFrom", List.of(Map.of("kind", "Ingress",
        "namespace", NS, "name", "front"))));
    List<Map<String, Object>> rbac = rendered.stream().filter(o -> String.valueOf(o.get("kind")).startsWith("Role")
        && FlotillaChart.map(o, "metadata").get("name").toString().startsWith("flotilla-controller-address-")).toList();
    assertThat(rbac).hasSize(2);
    for (Map<String, Object> o : rbac) {
      admin.resource(Serialization.jsonMapper().convertValue(o, GenericKubernetesResource.class)).fieldManager("helm")
          .forceConflicts().serverSideApply();
    }
    await("the chart's Role is in force").atMost(WAIT).ignoreExceptions()
        .until(() -> "198.51.100.32".equals(new PublishedAddresses(asController).apply(INGRESS)));
    KubeApi.assertForbidden(() -> asController.secrets().inNamespace(NS).list(), "list Secrets");
  }
}
