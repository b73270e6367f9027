package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Route;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.api.TlsSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.k8s.networking.gateway.v1.TLSRoute;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("spec.route: gateway — the TLSRoute, the Gateway's address and listener, the NetworkPolicy's router peers")
class TLSRouteModelTest {

  static final GatewayRef GATEWAY = new GatewayRef("gateway-system", "shared", "fl-passthrough", null, Map.of());

  static JobModel viaGateway(String sample) {
    IflearnerJob job = Samples.load(sample, "fl");
    job.getSpec().setRoute(Route.GATEWAY);
    return new JobModel(job);
  }

  @Nested
  @DisplayName("the TLSRoute")
  class Desired {
    @Test
    @DisplayName("gateway.networking.k8s.io/v1 TLSRoute named after the job, owned by it, with its labels")
    void identity() {
      JobModel server = viaGateway("flotilla-fashion-mnist/server.yaml");
      TLSRoute route = TLSRouteModel.desired(server, GATEWAY);
      assertThat(route.getApiVersion()).isEqualTo("gateway.networking.k8s.io/v1");
      assertThat(route.getKind()).isEqualTo("TLSRoute");
      ChildModelsTest.assertOwnedChild(route, server, "fashion-server");
      assertThat(route.getStatus()).isNull();
    }

    @Test
    @DisplayName("hostnames: exactly the job's host; parentRefs: the configured Gateway (its namespace) and listener as sectionName")
    void hostnamesAndParent() {
      JobModel party = viaGateway("flotilla-fashion-mnist/party-a.yaml");
      TLSRoute route = TLSRouteModel.desired(party, GATEWAY);
      assertThat(route.getSpec().getHostnames()).containsExactly(party.host());
      assertThat(party.host()).isEqualTo("fashion.a.party.fl.example.org");
      assertThat(route.getSpec().getParentRefs()).singleElement().satisfies(p -> {
        assertThat(p.getGroup()).isEqualTo("gateway.networking.k8s.io");
        assertThat(p.getKind()).isEqualTo("Gateway");
        assertThat(p.getNamespace()).isEqualTo("gateway-system");
        assertThat(p.getName()).isEqualTo("shared");
        assertThat(p.getSectionName()).isEqualTo("fl-passthrough");
        assertThat(p.getPort()).isNull();
      });
    }

    @Test
    @DisplayName("one rule, one backendRef: the job's Service (core group) on its gRPC Service port, weight 1")
    void backend() {
      JobModel server = viaGateway("flotilla-fashion-mnist/server.yaml");
      TLSRoute route = TLSRouteModel.desired(server, GATEWAY);
      assertThat(route.getSpec().getRules()).singleElement().satisfies(rule ->
          assertThat(rule.getBackendRefs()).singleElement().satisfies(b -> {
            assertThat(b.getGroup()).as("the core group, the API default: left out").isNull();
            assertThat(b.getKind()).isEqualTo("Service");
            assertThat(b.getName()).isEqualTo(ServiceModel.desired(server).getMetadata().getName());
            assertThat(b.getPort()).isEqualTo(ServiceModel.desired(server).getSpec().getPorts().get(0).getPort()).isEqualTo(8443);
            assertThat(b.getNamespace()).isNull();
            assertThat(b.getWeight()).isEqualTo(1);
          }));
    }

    @Test
    @DisplayName("serialised as the API expects: camelCase fields, no status, sectionName beside name")
    void json() {
      String json = Serialization.asJson(TLSRouteModel.desired(viaGateway("flotilla-fashion-mnist/server.yaml"), GATEWAY));
      assertThat(json).contains("\"apiVersion\":\"gateway.networking.k8s.io/v1\"", "\"kind\":\"TLSRoute\"",
          "\"hostnames\":[\"fashion.server.fl.example.org\"]", "\"sectionName\":\"fl-passthrough\"",
          "\"backendRefs\":[{\"kind\":\"Service\",\"name\":\"fashion-server\",\"port\":8443,\"weight\":1}]")
          .doesNotContain("\"status\"");
    }

    @Test
    @DisplayName("a job without a host gets no TLSRoute (no SNI to match)")
    void noHost() {
      IflearnerJob job = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
      job.getSpec().setRoute(Route.GATEWAY);
      job.getSpec().setHost(null);
      assertThat(TLSRouteModel.desired(new JobModel(job), GATEWAY)).isNull();
    }
  }

  @Nested
  @DisplayName("refusals")
  class Refusals {
    @Test
    @DisplayName("terminate mode (an iflearner image's default) is refused: a TLSRoute cannot end TLS; the message names the image and both ways out")
    void terminate() {
      JobModel iflearner = viaGateway("iflearner/iflearnerjob-server.yaml");
      assertThat(iflearner.tlsMode()).isEqualTo(TlsMode.TERMINATE);
      assertThat(TLSRouteModel.refusal(iflearner, GATEWAY)).hasValueSatisfying(m -> assertThat(m)
          .contains("terminate", iflearner.firstContainer().getImage(), "spec.tls.mode: passthrough", "spec.route: ingress"));
      IflearnerJob explicit = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
      explicit.getSpec().setRoute(Route.GATEWAY);
      explicit.getSpec().setTls(new TlsSpec(TlsMode.TERMINATE));
      assertThat(TLSRouteModel.refusal(new JobModel(explicit), GATEWAY)).hasValueSatisfying(m -> assertThat(m)
          .contains("terminate").doesNotContain("default"));
    }

    @Test
    @DisplayName("a controller without --gateway refuses gateway jobs, naming the flag")
    void noGateway() {
      assertThat(TLSRouteModel.refusal(viaGateway("flotilla-fashion-mnist/server.yaml"), null))
          .hasValueSatisfying(m -> assertThat(m).contains("--gateway NAMESPACE/NAME"));
      assertThat(TLSRouteModel.refusal(viaGateway("flotilla-fashion-mnist/server.yaml"), GATEWAY)).isEmpty();
    }

    @Test
    @DisplayName("the route defaults to ingress, so iflearner-operator's manifests keep their Ingress")
    void defaultRoute() {
      assertThat(new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "fl")).route()).isEqualTo(Route.INGRESS);
      assertThat(new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "fl")).route()).isEqualTo(Route.INGRESS);
    }
  }

  @Nested
  @DisplayName("--gateway and its listener")
  class Ref {
    @Test
    @DisplayName("NS/NAME parses; the proxy namespace defaults to the Gateway's")
    void parse() {
      GatewayRef ref = GatewayRef.parse("gateway-system/shared", "tls-passthrough", null, Map.of());
      assertThat(ref.namespace()).isEqualTo("gateway-system");
      assertThat(ref.name()).isEqualTo("shared");
      assertThat(ref.proxyNamespace()).isEqualTo("gateway-system");
      assertThat(GatewayRef.parse("a/b", "l", "envoy-gateway-system", Map.of()).proxyNamespace()).isEqualTo("envoy-gateway-system");
    }

    @Test
    @DisplayName("malformed values are refused with the flag and the value in the message")
    void refused() {
      assertThatThrownBy(() -> GatewayRef.parse("shared", "l", null, Map.of())).hasMessageContaining("--gateway must be NAMESPACE/NAME")
          .hasMessageContaining("'shared'");
      assertThatThrownBy(() -> GatewayRef.parse("a/b/c", "l", null, Map.of())).hasMessageContaining("NAMESPACE/NAME");
      assertThatThrownBy(() -> GatewayRef.parse("Gateway-System/shared", "l", null, Map.of()))
          .hasMessageContaining("--gateway namespace").hasMessageContaining("Gateway-System");
      assertThatThrownBy(() -> GatewayRef.parse("gs/shared", "TLS_443", null, Map.of()))
          .hasMessageContaining("--gateway-listener").hasMessageContaining("TLS_443");
      assertThatThrownBy(() -> GatewayRef.parse("gs/shared", "l", "x".repeat(64), Map.of()))
          .hasMessageContaining("--gateway-proxy-namespace");
    }
  }

  @Nested
  @DisplayName("the Gateway")
  class GatewayReads {
    static Gateway gateway(String protocol, String mode, String... addresses) {
      GatewayBuilder b = new GatewayBuilder().withNewMetadata().withName("shared").withNamespace("gateway-system").endMetadata()
          .withNewSpec().withGatewayClassName("example")
          .addNewListener().withName("https").withProtocol("HTTPS").withPort(443).endListener()
          .addNewListener().withName("fl-passthrough").withProtocol(protocol).withPort(8443)
          .withNewTls().withMode(mode).endTls().endListener()
          .endSpec();
      if (addresses.length > 0) {
        b.withNewStatus().endStatus();
        for (int i = 0; i < addresses.length; i += 2) {
          b.editStatus().addNewAddress().withType(addresses[i]).withValue(addresses[i + 1]).endAddress().endStatus();
        }
      }
      return b.build();
    }

    @Test
    @DisplayName("the DNS address is the first IP in the Gateway's status; Hostname addresses are skipped; none gives null")
    void address() {
      assertThat(GatewayModel.statusAddress(gateway("TLS", "Passthrough", "Hostname", "lb.example.org", "IPAddress", "203.0.113.9",
          "IPAddress", "203.0.113.10"))).isEqualTo("203.0.113.9");
      assertThat(GatewayModel.statusAddress(gateway("TLS", "Passthrough", null, "2001:db8::7"))).isEqualTo("2001:db8::7");
      assertThat(GatewayModel.statusAddress(gateway("TLS", "Passthrough", "Hostname", "lb.example.org"))).isNull();
      assertThat(GatewayModel.statusAddress(gateway("TLS", "Passthrough"))).isNull();
      assertThat(GatewayModel.statusAddress(null)).isNull();
    }

    @Test
    @DisplayName("the listener must exist and be protocol TLS with tls.mode Passthrough; each problem is named")
    void listener() {
      assertThat(GatewayModel.listenerProblem(gateway("TLS", "Passthrough"), GATEWAY)).isEmpty();
      assertThat(GatewayModel.listenerProblem(gateway("TLS", "Terminate"), GATEWAY))
          .hasValueSatisfying(m -> assertThat(m).contains("fl-passthrough", "tls.mode Terminate", "Passthrough"));
      assertThat(GatewayModel.listenerProblem(gateway("HTTPS", "Passthrough"), GATEWAY))
          .hasValueSatisfying(m -> assertThat(m).contains("protocol HTTPS"));
      assertThat(GatewayModel.listenerProblem(gateway("TLS", "Passthrough"), new GatewayRef("gateway-system", "shared", "other", null,
          Map.of()))).hasValueSatisfying(m -> assertThat(m).contains("no listener other", "[https, fl-passthrough]"));
      assertThat(GatewayModel.listenerProblem(null, GATEWAY)).hasValueSatisfying(m -> assertThat(m)
          .contains("Gateway gateway-system/shared does not exist"));
    }

    @Test
    @DisplayName("a TLS listener without tls.mode terminates (the API's default), so it is refused too")
    void defaultModeTerminates() {
      Gateway g = gateway("TLS", "Passthrough");
      g.getSpec().getListeners().get(1).setTls(null);
      assertThat(GatewayModel.listenerProblem(g, GATEWAY)).hasValueSatisfying(m -> assertThat(m).contains("tls.mode Terminate"));
    }

    @Test
    @DisplayName("the route's Accepted condition is read from the status entry for our Gateway only")
    void accepted() {
      TLSRoute route = Serialization.unmarshal("""
          apiVersion: gateway.networking.k8s.io/v1
          kind: TLSRoute
          metadata: {name: r, namespace: fl}
          spec: {parentRefs: [{name: shared, namespace: gateway-system}], hostnames: [a.example.org], rules: [{backendRefs: [{name: s, port: 1}]}]}
          status:
            parents:
            - parentRef: {name: other, namespace: gateway-system}
              controllerName: example.org/gw
              conditions: [{type: Accepted, status: "True", reason: Accepted, message: ok, lastTransitionTime: "2026-01-01T00:00:00Z"}]
            - parentRef: {name: shared, namespace: gateway-system, sectionName: fl-passthrough}
              controllerName: example.org/gw
              conditions: [{type: Accepted, status: "False", reason: NotAllowedByListeners, message: namespace fl not allowed, lastTransitionTime: "2026-01-01T00:00:00Z"}]
          """, TLSRoute.class);
      assertThat(GatewayModel.accepted(route, GATEWAY)).hasValueSatisfying(c -> {
        assertThat(c.getReason()).isEqualTo("NotAllowedByListeners");
        assertThat(c.getMessage()).isEqualTo("namespace fl not allowed");
      });
      route.setStatus(null);
      assertThat(GatewayModel.accepted(route, GATEWAY)).isEmpty();
    }
  }

  @Nested
  @DisplayName("the NetworkPolicy of a gateway job")
  class Isolation {
    @Test
    @DisplayName("lets in the Gateway's proxy namespace (any pod, or the configured labels) instead of ingress-nginx's, in and out")
    void proxyPeers() {
      JobModel party = viaGateway("flotilla-fashion-mnist/party-a.yaml");
      NetworkPolicy np = NetworkPolicyModel.desired(party, "203.0.113.9", IsolationDefaults.defaults(), GATEWAY);
      var in = np.getSpec().getIngress().get(0).getFrom().get(0);
      assertThat(in.getNamespaceSelector().getMatchLabels()).containsExactly(entry("kubernetes.io/metadata.name", "gateway-system"));
      assertThat(in.getPodSelector()).isNull();
      var out = np.getSpec().getEgress().get(1).getTo();
      assertThat(out.get(0).getNamespaceSelector().getMatchLabels()).containsExactly(entry("kubernetes.io/metadata.name", "gateway-system"));
      assertThat(out.get(1).getIpBlock().getCidr()).isEqualTo("203.0.113.9/32");

      GatewayRef envoy = new GatewayRef("gateway-system", "shared", "fl-passthrough", "envoy-gateway-system",
          Map.of("gateway.envoyproxy.io/owning-gateway-name", "shared"));
      var labelled = NetworkPolicyModel.desired(party, null, IsolationDefaults.defaults(), envoy).getSpec().getIngress().get(0).getFrom().get(0);
      assertThat(labelled.getNamespaceSelector().getMatchLabels()).containsExactly(entry("kubernetes.io/metadata.name", "envoy-gateway-system"));
      assertThat(labelled.getPodSelector().getMatchLabels()).containsExactly(entry("gateway.envoyproxy.io/owning-gateway-name", "shared"));
    }

    @Test
    @DisplayName("an ingress job keeps ingress-nginx's peers even when a Gateway is configured")
    void ingressJobUnchanged() {
      JobModel party = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl"));
      assertThat(NetworkPolicyModel.desired(party, null, IsolationDefaults.defaults(), GATEWAY))
          .isEqualTo(NetworkPolicyModel.desired(party, null, IsolationDefaults.defaults()));
      assertThat(NetworkPolicyModel.desired(party, null, IsolationDefaults.defaults()).getSpec().getIngress().get(0).getFrom().get(0)
          .getNamespaceSelector().getMatchLabels()).containsExactly(entry("kubernetes.io/metadata.name", "ingress-nginx"));
    }
  }
}
