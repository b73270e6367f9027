package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.PeerSpec;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.api.TlsSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PeerModelTest {

  static JobModel withPeer(String sample, PeerSpec peer) {
    IflearnerJob job = Samples.load(sample, "fl");
    job.getSpec().setPeer(peer);
    return new JobModel(job);
  }

  private static final JobModel PARTY = withPeer("flotilla-fashion-mnist/party-a.yaml", new PeerSpec(null, null));
  private static final JobModel SERVER = withPeer("flotilla-fashion-mnist/server.yaml", new PeerSpec(true, null));
  private static final JobModel PLAIN_PARTY = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl"));

  private static List<Integer> ports(List<NetworkPolicyPort> ports) {
    return ports == null ? List.of() : ports.stream().map(NetworkPolicyPort::getPort).map(IntOrString::getIntVal).toList();
  }

  @Test
  @DisplayName("spec.peer on a Flotilla party in passthrough mode turns the channel on; disabled, on iflearner or "
      + "terminate mode it is off")
  void enabled() {
    assertThat(PeerModel.enabled(PARTY)).isTrue();
    assertThat(PeerModel.servesEndpoint(PARTY)).isTrue();
    assertThat(PeerModel.servesEndpoint(SERVER)).isFalse();
    assertThat(PeerModel.enabled(PLAIN_PARTY)).isFalse();
    assertThat(PeerModel.enabled(withPeer("flotilla-fashion-mnist/party-a.yaml", new PeerSpec(false, null)))).isFalse();
    assertThat(PeerModel.enabled(withPeer("iflearner/iflearnerjob-client1.yaml", new PeerSpec(true, null)))).isFalse();
    IflearnerJob terminate = Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl");
    terminate.getSpec().setTls(new TlsSpec(TlsMode.TERMINATE));
    terminate.getSpec().setPeer(new PeerSpec(true, null));
    assertThat(PeerModel.enabled(new JobModel(terminate))).isFalse();
  }

  @Test
  @DisplayName("the party's Service gets a 'peer' port (default 50002, or spec.peer.port) beside its gRPC port")
  void servicePort() {
    assertThat(ServiceModel.desired(PARTY).getSpec().getPorts())
        .extracting(p -> p.getName() + ":" + p.getPort() + "->" + p.getTargetPort().getIntVal() + "/" + p.getProtocol())
        .containsExactly("grpc:8443->8443/TCP", "peer:50002->50002/TCP");
    assertThat(ServiceModel.desired(withPeer("flotilla-fashion-mnist/party-a.yaml", new PeerSpec(true, 7000)))
        .getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort()).containsExactly("grpc:8443", "peer:7000");
    assertThat(ServiceModel.desired(PLAIN_PARTY).getSpec().getPorts()).extracting(p -> p.getName()).containsExactly("grpc");
  }

  @Test
  @DisplayName("the party's route (Ingress with ssl-passthrough, or TLSRoute) leads its host to the peer port")
  void routes() {
    var ingress = IngressModel.desired(PARTY);
    assertThat(ingress.getMetadata().getAnnotations()).containsExactly(entry(NginxAnnotations.SSL_PASSTHROUGH, "true"));
    var rule = ingress.getSpec().getRules().get(0);
    assertThat(rule.getHost()).isEqualTo("fashion.a.party.fl.example.org");
    assertThat(rule.getHttp().getPaths().get(0).getBackend().getService().getPort().getNumber()).isEqualTo(50002);
    assertThat(IngressModel.desired(PLAIN_PARTY).getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend()
        .getService().getPort().getNumber()).isEqualTo(8443);
    IflearnerJob gateway = Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl");
    gateway.getSpec().setRoute(dev.flotilla.controller.api.Route.GATEWAY);
    gateway.getSpec().setPeer(new PeerSpec(true, 7000));
    var route = TLSRouteModel.desired(new JobModel(gateway), TLSRouteModelTest.GATEWAY);
    assertThat(route.getSpec().getHostnames()).containsExactly("fashion.a.party.fl.example.org");
    assertThat(route.getSpec().getRules().get(0).getBackendRefs().get(0).getPort()).isEqualTo(7000);
  }

  @Test
  @DisplayName("the party's certificate carries its host, the name peers check and send as SNI; its DNS record is that host")
  void certificateAndDns() {
    assertThat(CertificateModel.dnsNames(PARTY)).containsExactly("fashion.a.party.fl.example.org");
    assertThat(PARTY.identity().partyHost()).isEqualTo("fashion.a.party.fl.example.org");
    assertThat(DnsModel.records(PARTY, "10.0.0.7")).extracting(Object::toString)
        .containsExactly(dev.flotilla.dns.DnsRecord.of("fashion.a.party.fl.example.org", "10.0.0.7").toString());
    assertThat(CertificateModel.leafRequest(PARTY).clientOnly()).as("the party's certificate serves (serverAuth)").isFalse();
  }

  @Test
  @DisplayName("the party's pod gets --peer-port, --peer-host (its host), --peer-address (its host at 443) and the "
      + "federation-job label; the aggregator gets --check-peers")
  void podArgs() {
    Pod party = PodModel.desired(PARTY);
    assertThat(party.getSpec().getContainers().get(0).getArgs()).endsWith("--peer-port=50002",
        "--peer-host=fashion.a.party.fl.example.org", "--peer-address=fashion.a.party.fl.example.org:443");
    assertThat(party.getMetadata().getLabels()).contains(entry(PeerModel.FEDERATION_JOB_LABEL, "fashion"));
    Pod server = PodModel.desired(SERVER);
    assertThat(server.getSpec().getContainers().get(0).getArgs()).contains("--check-peers");
    assertThat(server.getMetadata().getLabels()).contains(entry(PeerModel.FEDERATION_JOB_LABEL, "fashion"));
    Pod plain = PodModel.desired(PLAIN_PARTY);
    assertThat(plain.getSpec().getContainers().get(0).getArgs()).noneMatch(a -> a.startsWith("--peer"));
    assertThat(plain.getMetadata().getLabels()).doesNotContainKey(PeerModel.FEDERATION_JOB_LABEL);
  }

  @Test
  @DisplayName("peer flags the template passes itself are kept and not passed twice")
  void templateFlagsWin() {
    assertThat(PeerModel.args(PARTY, List.of("--peer-port=9000", "--peer-address", "10.1.1.1:9000")))
        .containsExactly("--peer-host=fashion.a.party.fl.example.org");
    assertThat(PeerModel.args(SERVER, List.of("--check-peers"))).isEmpty();
  }

  @Nested
  @DisplayName("NetworkPolicy")
  class Policies {
    private final NetworkPolicy party = NetworkPolicyModel.desired(PARTY, "10.0.0.7", IsolationDefaults.defaults());
    private final Map<String, String> parties = Map.of("app.kubernetes.io/name", "iflearnerjob",
        "git.iflytek.com/role", "client", "flotilla.dev/federation-job", "fashion");

    @Test
    @DisplayName("in: the ingress controller on the peer port, and the job's other parties (same namespace) on the peer port")
    void partyIngress() {
      var in = party.getSpec().getIngress();
      assertThat(in).hasSize(2);
      assertThat(in.get(0).getFrom().get(0).getNamespaceSelector().getMatchLabels())
          .containsExactly(entry("kubernetes.io/metadata.name", "ingress-nginx"));
      assertThat(ports(in.get(0).getPorts())).containsExactly(50002);
      assertThat(in.get(1).getFrom()).hasSize(1);
      assertThat(in.get(1).getFrom().get(0).getNamespaceSelector()).isNull();
      assertThat(in.get(1).getFrom().get(0).getPodSelector().getMatchLabels()).isEqualTo(parties);
      assertThat(ports(in.get(1).getPorts())).containsExactly(50002);
      assertThat(in.get(1).getPorts().get(0).getProtocol()).isEqualTo("TCP");
    }

    @Test
    @DisplayName("out: DNS, the ingress controller, the job's other parties on the peer port, the job's aggregator pod; "
        + "nothing else")
    void partyEgress() {
      var out = party.getSpec().getEgress();
      assertThat(out).hasSize(4);
      assertThat(ports(out.get(0).getPorts())).containsExactly(53, 53);
      assertThat(ports(out.get(1).getPorts())).containsExactly(443, 80);
      assertThat(out.get(2).getTo().get(0).getPodSelector().getMatchLabels()).isEqualTo(parties);
      assertThat(out.get(2).getTo().get(0).getNamespaceSelector()).isNull();
      assertThat(ports(out.get(2).getPorts())).containsExactly(50002);
      assertThat(out.get(3).getTo().get(0).getPodSelector().getMatchLabels()).isEqualTo(Map.of(
          "app.kubernetes.io/name", "iflearnerjob", "git.iflytek.com/role", "server", "flotilla.dev/federation-job", "fashion"));
      assertThat(out.get(3).getTo().get(0).getNamespaceSelector()).isNull();
      assertThat(party.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
    }

    @Test
    @DisplayName("the aggregator in the peer mesh lets the job's parties in on its gRPC port, directly")
    void serverIngress() {
      var in = NetworkPolicyModel.desired(SERVER, null, IsolationDefaults.defaults()).getSpec().getIngress();
      var direct = in.stream().filter(r -> r.getFrom().get(0).getNamespaceSelector() == null).toList();
      assertThat(direct).hasSize(1);
      assertThat(direct.get(0).getFrom().get(0).getPodSelector().getMatchLabels()).isEqualTo(parties);
      assertThat(ports(direct.get(0).getPorts())).containsExactly(SERVER.grpcPort());
      assertThat(NetworkPolicyModel.desired(SERVER, null, IsolationDefaults.defaults()).getSpec().getEgress()).hasSize(2);
    }

    @Test
    @DisplayName("without spec.peer the policy is what it was: the ingress controller on the gRPC port only")
    void unchangedWithoutPeer() {
      NetworkPolicy plain = NetworkPolicyModel.desired(PLAIN_PARTY, "10.0.0.7", IsolationDefaults.defaults());
      assertThat(plain.getSpec().getIngress()).hasSize(1);
      assertThat(ports(plain.getSpec().getIngress().get(0).getPorts())).containsExactly(8443);
      assertThat(plain.getSpec().getEgress()).hasSize(2);
    }
  }
}
