package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.ControllerMain;
import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.enroll.AttemptLimiter;
import dev.flotilla.controller.enroll.EnrollmentServer;
import dev.flotilla.controller.enroll.EnrollmentService;
import dev.flotilla.controller.enroll.EnrollmentStore;
import dev.flotilla.controller.federation.FederationController;
import dev.flotilla.controller.join.JoinController;
import dev.flotilla.controller.join.JoinModel;
import dev.flotilla.controller.operator.CertificateAuthorities;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.dns.CoreDnsUpdater;
import dev.flotilla.dns.DnsRecord;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngressBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's Federation names a Gateway (then an Ingress) of the coordinator's cluster instead of an
 * address. The test writes the objects' status through the status subresource, as a gateway or ingress
 * controller would; the party organisation's cluster (a second kube-apiserver, its {@code --join} and
 * {@code --federation-member} controllers in this JVM) must publish {@code *.server.<domain>} at whatever the
 * status says, and follow it when it changes, with no edit of the Federation.
 */
@DisplayName("the coordinator's address read from its Gateway's or Ingress's status reaches a party cluster's DNS, and follows the status")
class FederationPublishedAddressIT extends OnKubeApiServer {
  static final String NS = "flotilla-system";
  static final String JOB_NS = "fl";
  static final String GATEWAY_NS = "gateway-system";
  static final String DOMAIN = "fl.example.org";
  static final Duration REFRESH = Duration.ofSeconds(1);
  static final Duration WAIT = Duration.ofSeconds(120);
  static final String GATEWAY_YAML = """
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata:
        name: public
        namespace: gateway-system
      spec:
        gatewayClassName: example
        listeners:
        - name: fl-passthrough
          protocol: TLS
          port: 443
          tls:
            mode: Passthrough
      """;

  static final List<AutoCloseable> closing = new ArrayList<>();
  static KubeAPIServer partyApi;
  static KubernetesClient coordinator;
  static KubernetesClient party;
  static Path coordinatorKubeconfig;
  static EnrollmentServer endpoint;

  static KubernetesClient cluster(String kubeconfig) {
    KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig)).build();
    closing.add(client);
    KubeApi.namespace(client, NS);
    KubeApi.coreDnsConfigMap(client);
    KubeApi.installCrd(client);
    return client;
  }

  @BeforeAll
  static void twoClusters() throws Exception {
    coordinator = cluster(kubeConfigYaml);
    KubeApi.namespace(coordinator, JOB_NS);
    KubeApi.namespace(coordinator, GATEWAY_NS);
    KubeApi.installGatewayApiCrds(coordinator);
    coordinator.resource(Serialization.unmarshal(GATEWAY_YAML, Gateway.class)).create();
    coordinator.resource(new IngressBuilder().withNewMetadata().withName("public").withNamespace(GATEWAY_NS).endMetadata()
        .withNewSpec().withIngressClassName("nginx").withNewDefaultBackend().withNewService().withName("controller")
        .withNewPort().withNumber(443).endPort().endService().endDefaultBackend().endSpec().build()).create();
    partyApi = startAnother();
    party = cluster(partyApi.getKubeConfigYaml());
    coordinatorKubeconfig = Files.createTempFile("coordinator", ".kubeconfig");
    Files.writeString(coordinatorKubeconfig, kubeConfigYaml);

    Clock clock = Clock.systemUTC();
    CertificateAuthorities authorities = new CertificateAuthorities(coordinator, NS, ObservedState.direct(coordinator, NS));
    endpoint = new EnrollmentServer(new InetSocketAddress("127.0.0.1", 0), new EnrollmentService(
        EnrollmentService.Federation.parse(JOB_NS + "/" + DOMAIN), authorities, new EnrollmentStore(coordinator, NS), clock),
        new AttemptLimiter(1000, Duration.ofMinutes(1), clock), clock);
    closing.add(endpoint);

    // the one place the members are kept; the coordinator's address is wherever its Gateway says
    FederationSpec.Member coord = new FederationSpec.Member("coord", "coordinator", null, null);
    coord.setAddressFrom(new FederationSpec.AddressFrom("Gateway", GATEWAY_NS, "public"));
    FederationSpec spec = new FederationSpec();
    spec.setDomain(DOMAIN);
    spec.setMembers(new ArrayList<>(List.of(coord, new FederationSpec.Member("alice", "party", "198.51.100.21", null),
        new FederationSpec.Member("bob", "party", "198.51.100.22", null))));
    Federation federation = new Federation();
    federation.setMetadata(new ObjectMetaBuilder().withName("fl").withNamespace(NS).build());
    federation.setSpec(spec);
    coordinator.resource(federation).create();

    closing.add(new JoinController(party, NS, clock, REFRESH).start());
    closing.add(new FederationController(party, NS, "alice", List.of("default"), new CoreDnsUpdater(party)).start());
  }

  @AfterAll
  static void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    if (partyApi != null) {
      partyApi.stop();
    }
    if (coordinatorKubeconfig != null) {
      Files.deleteIfExists(coordinatorKubeconfig);
    }
  }

  /** What a gateway implementation does once it has an address: writes status.addresses. */
  static void gatewayPublishes(String ip) {
    Gateway g = coordinator.resources(Gateway.class).inNamespace(GATEWAY_NS).withName("public").get();
    g.setStatus(new GatewayStatusBuilder().addNewAddress().withType("IPAddress").withValue(ip).endAddress().build());
    coordinator.resource(g).updateStatus();
  }

  /** What ingress-nginx does: writes status.loadBalancer.ingress. */
  static void ingressPublishes(String ip) {
    Ingress i = coordinator.network().v1().ingresses().inNamespace(GATEWAY_NS).withName("public").get();
    i.setStatus(new io.fabric8.kubernetes.api.model.networking.v1.IngressStatusBuilder().withNewLoadBalancer()
        .withIngress(new IngressLoadBalancerIngressBuilder().withIp(ip).build()).endLoadBalancer().build());
    coordinator.resource(i).updateStatus();
  }

  static SortedSet<DnsRecord> partyRecords() {
    return new TreeSet<>(new CoreDnsUpdater(party).currentRecords().getOrDefault("federation/" + NS + "/" + DOMAIN, new TreeSet<>()));
  }

  static DnsRecord server(String ip) {
    return DnsRecord.of("*.server." + DOMAIN, ip);
  }

  @Test
  @DisplayName("no record before the Gateway publishes; its status address, then its changed address, then an Ingress's, each reach the "
      + "party cluster's CoreDNS with the Federation's spec never carrying an IP for the coordinator")
  void partyRecordsFollowTheStatus() {
    EnrollmentIT.Run made = EnrollmentIT.run(ControllerMain.commandLine(), "enroll", "token", "create", "--kubeconfig",
        coordinatorKubeconfig.toString(), "--controller-namespace", NS, "--federation", JOB_NS + "/" + DOMAIN,
        "--job", "mnist", "--organisation", "alice", "--ttl", "1h", "--uses", "1");
    assertThat(made.exit()).as(made.err()).isZero();
    party.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("join").endMetadata()
        .withType(JoinModel.TYPE).addToStringData(JoinModel.TOKEN, made.out().strip())
        .addToStringData(JoinModel.ENDPOINT, "https://127.0.0.1:" + endpoint.port())
        .addToStringData(JoinModel.DOMAIN, DOMAIN).addToStringData(JoinModel.JOB, "mnist")
        .addToStringData(JoinModel.ORGANISATION, "alice").build()).create();

    // mirrored, but the Gateway has published nothing: the party cluster has the Federation and no *.server record
    await("mirrored").atMost(WAIT).until(() -> party.resources(Federation.class).inNamespace(NS).withName(DOMAIN).get() != null);
    FederationSpec.Member mirrored = party.resources(Federation.class).inNamespace(NS).withName(DOMAIN).get().getSpec().getMembers().get(0);
    assertThat(mirrored.getAddress()).isNull();
    await("bob's record").atMost(WAIT).until(() -> !partyRecords().isEmpty());
    assertThat(partyRecords()).as("no *.server record yet; the other members' records are made")
        .containsExactly(DnsRecord.of("*.bob.party." + DOMAIN, "198.51.100.22"));

    gatewayPublishes("203.0.113.7");
    await("the Gateway's address").atMost(WAIT).untilAsserted(() -> assertThat(partyRecords()).contains(server("203.0.113.7")));
    assertThat(party.resources(Federation.class).inNamespace(NS).withName(DOMAIN).get().getSpec().getMembers().get(0).getAddressFrom())
        .as("once published, the party cluster is given the IP only").isNull();

    long changed = System.nanoTime();
    gatewayPublishes("203.0.113.99");
    await("the Gateway's new address").atMost(WAIT).untilAsserted(() -> assertThat(partyRecords()).contains(server("203.0.113.99"))
        .doesNotContain(server("203.0.113.7")));
    long followMs = (System.nanoTime() - changed) / 1_000_000;

    ingressPublishes("198.51.100.80");
    coordinator.resources(Federation.class).inNamespace(NS).withName("fl").edit(f -> {
      f.getSpec().getMembers().get(0).setAddressFrom(new FederationSpec.AddressFrom("Ingress", GATEWAY_NS, "public"));
      return f;
    });
    await("the Ingress's address").atMost(WAIT).untilAsserted(() -> assertThat(partyRecords()).contains(server("198.51.100.80"))
        .doesNotContain(server("203.0.113.99")));
    ingressPublishes("198.51.100.81");
    await("the Ingress's new address").atMost(WAIT).untilAsserted(() -> assertThat(partyRecords()).contains(server("198.51.100.81")));
    assertThat(coordinator.resources(Federation.class).inNamespace(NS).withName("fl").get().getSpec().getMembers().get(0).getAddress())
        .as("the coordinator's Federation was never given an IP").isNull();
    System.out.printf("federation-published-address: the Gateway's status change reached the party cluster's DNS in %d ms "
        + "(refresh interval %d ms)%n", followMs, REFRESH.toMillis());
  }
}
