package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Route;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.api.TlsSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.k8s.networking.gateway.v1.TLSRoute;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("spec.bulkPort: the aggregator's bulk-upload port gets a second name, routed by SNI like the first")
class BulkPortModelsTest {

  private static JobModel server(Integer bulkPort) {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
    job.getSpec().setBulkPort(bulkPort);
    return new JobModel(job);
  }

  private static final JobModel BULK = server(8444);
  private static final JobModel NO_BULK = server(null);

  @Test
  @DisplayName("the name is the host's first label with -bulk: one label under .server.<domain>, as server certificates require")
  void bulkHost() {
    assertThat(BULK.bulkPort()).isEqualTo(8444);
    assertThat(BULK.bulkHost()).isEqualTo("fashion-bulk.server.fl.example.org");
    assertThat(BULK.bulkTlsRouteName()).isEqualTo("fashion-server-bulk");
    assertThat(NO_BULK.bulkPort()).isZero();
    assertThat(NO_BULK.bulkHost()).isNull();
    assertThat(server(0).bulkHost()).isNull();
    IflearnerJob party = Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl");
    party.getSpec().setBulkPort(8444);
    assertThat(new JobModel(party).bulkPort()).as("a party has no bulk-upload port").isZero();
    assertThat(new JobModel(party).bulkHost()).isNull();
  }

  @Test
  @DisplayName("Service: a third port named bulk, target the same port, after grpc and metrics")
  void service() {
    Service s = ServiceModel.desired(BULK);
    assertThat(s.getSpec().getPorts()).extracting(p -> p.getName() + "=" + p.getPort() + "->" + p.getTargetPort().getIntVal()
        + "/" + p.getProtocol()).containsExactly("grpc=8443->8443/TCP", "metrics=9090->9090/TCP", "bulk=8444->8444/TCP");
    assertThat(ServiceModel.desired(NO_BULK).getSpec().getPorts()).extracting(p -> p.getName())
        .containsExactly("grpc", "metrics");
  }

  @Test
  @DisplayName("certificate: the host and the bulk name, nothing else")
  void certificateNames() {
    assertThat(CertificateModel.dnsNames(BULK)).containsExactly("fashion.server.fl.example.org",
        "fashion-bulk.server.fl.example.org");
    assertThat(CertificateModel.dnsNames(NO_BULK)).containsExactly("fashion.server.fl.example.org");
    // the name passes the server certificate's name policy
    assertThat(BULK.identity().checkDnsName(BULK.bulkHost())).isEqualTo(BULK.bulkHost());
  }

  @Test
  @DisplayName("Ingress (passthrough): a second rule, the bulk name to the Service's bulk port; annotations unchanged")
  void ingress() {
    Ingress i = IngressModel.desired(BULK);
    assertThat(i.getMetadata().getAnnotations()).containsOnlyKeys(NginxAnnotations.SSL_PASSTHROUGH);
    assertThat(i.getSpec().getRules()).hasSize(2);
    var bulk = i.getSpec().getRules().get(1);
    assertThat(bulk.getHost()).isEqualTo("fashion-bulk.server.fl.example.org");
    assertThat(bulk.getHttp().getPaths()).singleElement().satisfies(p -> {
      assertThat(p.getPath()).isEqualTo("/");
      assertThat(p.getPathType()).isEqualTo("Prefix");
      assertThat(p.getBackend().getService().getName()).isEqualTo("fashion-server");
      assertThat(p.getBackend().getService().getPort().getNumber()).isEqualTo(8444);
    });
    assertThat(i.getSpec().getRules().get(0).getHost()).isEqualTo("fashion.server.fl.example.org");
    assertThat(i.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService().getPort().getNumber())
        .isEqualTo(8443);
    assertThat(IngressModel.desired(NO_BULK).getSpec().getRules()).hasSize(1);
  }

  @Test
  @DisplayName("Ingress (terminate): no bulk rule, since nginx would end TLS and speak gRPC to a port that speaks none")
  void ingressTerminate() {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
    job.getSpec().setBulkPort(8444);
    job.getSpec().setTls(new TlsSpec(TlsMode.TERMINATE));
    assertThat(IngressModel.desired(new JobModel(job)).getSpec().getRules()).singleElement()
        .satisfies(r -> assertThat(r.getHost()).isEqualTo("fashion.server.fl.example.org"));
  }

  @Test
  @DisplayName("TLSRoute: a second route of its own, the bulk name to the bulk port, same Gateway listener; none without a bulk port")
  void tlsRoute() {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
    job.getSpec().setBulkPort(8444);
    job.getSpec().setRoute(Route.GATEWAY);
    JobModel model = new JobModel(job);
    TLSRoute route = TLSRouteModel.desiredBulk(model, TLSRouteModelTest.GATEWAY);
    ChildModelsTest.assertOwnedChild(route, model, "fashion-server-bulk");
    assertThat(route.getSpec().getHostnames()).containsExactly("fashion-bulk.server.fl.example.org");
    assertThat(route.getSpec().getParentRefs()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("shared");
      assertThat(p.getSectionName()).isEqualTo("fl-passthrough");
    });
    assertThat(route.getSpec().getRules()).singleElement().satisfies(r -> assertThat(r.getBackendRefs()).singleElement()
        .satisfies(b -> {
          assertThat(b.getKind()).isEqualTo("Service");
          assertThat(b.getName()).isEqualTo("fashion-server");
          assertThat(b.getPort()).isEqualTo(8444);
        }));
    assertThat(TLSRouteModel.desired(model, TLSRouteModelTest.GATEWAY).getSpec().getHostnames())
        .containsExactly("fashion.server.fl.example.org");
    assertThat(TLSRouteModel.desiredBulk(NO_BULK, TLSRouteModelTest.GATEWAY)).isNull();
  }

  @Test
  @DisplayName("DNS: a record for each name; NetworkPolicy: the bulk port open to the router's pods")
  void dnsAndIsolation() {
    assertThat(DnsModel.records(BULK, "10.0.0.7")).extracting(Object::toString)
        .containsExactly("fashion.server.fl.example.org=10.0.0.7", "fashion-bulk.server.fl.example.org=10.0.0.7");
    NetworkPolicy np = NetworkPolicyModel.desired(BULK, null, IsolationDefaults.defaults());
    var bulkRule = np.getSpec().getIngress().get(np.getSpec().getIngress().size() - 1);
    assertThat(bulkRule.getPorts()).singleElement().satisfies(p -> assertThat(p.getPort().getIntVal()).isEqualTo(8444));
    assertThat(bulkRule.getFrom()).isEqualTo(np.getSpec().getIngress().get(0).getFrom());
  }
}
