package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.Pem;
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
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Three organisations, three real kube-apiservers, three controllers in this JVM: the coordinator keeps
 * the Federation; alice and bob join with a token each (their controllers enroll, then bring the members
 * list in over mutual TLS) and each turns it into its own cluster's CoreDNS records and trust bundle.
 * The coordinator edits its own address once; both party clusters follow with no other edit.
 */
@DisplayName("federation routes across three clusters: one edit of the coordinator's address reaches both party clusters' DNS")
class FederationRoutesIT extends OnKubeApiServer {
  static final String NS = "flotilla-system";
  static final String JOB_NS = "fl";
  static final String DOMAIN = "fl.example.org";
  static final Duration WAIT = Duration.ofSeconds(120);
  static final Duration REFRESH = Duration.ofSeconds(1);

  static final List<AutoCloseable> closing = new ArrayList<>();
  static final List<KubeAPIServer> servers = new ArrayList<>();
  static KubernetesClient coordinator;
  static KubernetesClient alice;
  static KubernetesClient bob;
  static Path coordinatorKubeconfig;
  static EnrollmentServer endpoint;
  static String caPem;

  static KubernetesClient cluster(String kubeconfig) {
    KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig)).build();
    closing.add(client);
    KubeApi.namespace(client, NS);
    KubeApi.coreDnsConfigMap(client);
    CustomResourceDefinition crd = Serialization.unmarshal(KubeApi.read(KubeApi.generatedCrd().resolveSibling(
        "federations.flotilla.dev-v1.yml")), CustomResourceDefinition.class);
    client.apiextensions().v1().customResourceDefinitions().resource(crd).serverSideApply();
    await("Federation CRD served").atMost(WAIT).ignoreExceptions()
        .until(() -> client.resources(Federation.class).inNamespace(NS).list() != null);
    return client;
  }

  static FederationController routes(KubernetesClient client, String self) {
    FederationController c = new FederationController(client, NS, self, List.of("default"), new CoreDnsUpdater(client)).start();
    closing.add(c);
    return c;
  }

  @BeforeAll
  static void threeClusters() throws Exception {
    coordinator = cluster(kubeConfigYaml);
    KubeApi.namespace(coordinator, JOB_NS);
    for (int i = 0; i < 2; i++) {
      servers.add(startAnother());
    }
    alice = cluster(servers.get(0).getKubeConfigYaml());
    bob = cluster(servers.get(1).getKubeConfigYaml());
    coordinatorKubeconfig = Files.createTempFile("coordinator", ".kubeconfig");
    Files.writeString(coordinatorKubeconfig, kubeConfigYaml);

    Clock clock = Clock.systemUTC();
    CertificateAuthorities authorities = new CertificateAuthorities(coordinator, NS, ObservedState.direct(coordinator, NS));
    caPem = Pem.encode(authorities.ensure(JOB_NS, DOMAIN).ca().rootCertificate());
    endpoint = new EnrollmentServer(new InetSocketAddress("127.0.0.1", 0), new EnrollmentService(
        EnrollmentService.Federation.parse(JOB_NS + "/" + DOMAIN), authorities, new EnrollmentStore(coordinator, NS), clock),
        // room for the two enrollments and a retry each from the one address all parties share behind an ingress, in a
        // window that never turns: the members lists the parties refresh every second must not count against it
        new AttemptLimiter(4, Duration.ofMinutes(1), Clock.fixed(clock.instant(), ZoneOffset.UTC)), clock);
    closing.add(endpoint);

    // the one place the members are kept: the coordinator's Federation, with no certificate copied into it (the
    // endpoint serves the coordinator's bundle with the CA that signs there: CoordinatorTrust)
    Federation federation = new Federation();
    federation.setMetadata(new ObjectMetaBuilder().withName("fl").withNamespace(NS).build());
    FederationSpec spec = new FederationSpec();
    spec.setDomain(DOMAIN);
    spec.setMembers(new ArrayList<>(List.of(new FederationSpec.Member("coord", "coordinator", "198.51.100.10", null),
        new FederationSpec.Member("alice", "party", "198.51.100.21", null),
        new FederationSpec.Member("bob", "party", "198.51.100.22", null))));
    federation.setSpec(spec);
    coordinator.resource(federation).create();

    routes(coordinator, "coord");
    for (var party : List.of(new Object[] {alice, "alice"}, new Object[] {bob, "bob"})) {
      KubernetesClient client = (KubernetesClient) party[0];
      closing.add(new JoinController(client, NS, clock, REFRESH).start());
      routes(client, (String) party[1]);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    servers.forEach(KubeAPIServer::stop);
    if (coordinatorKubeconfig != null) {
      Files.deleteIfExists(coordinatorKubeconfig);
    }
  }

  static String token(String organisation) {
    EnrollmentIT.Run r = EnrollmentIT.run(ControllerMain.commandLine(), "enroll", "token", "create", "--kubeconfig",
        coordinatorKubeconfig.toString(), "--controller-namespace", NS, "--federation", JOB_NS + "/" + DOMAIN,
        "--job", "mnist", "--organisation", organisation, "--ttl", "1h", "--uses", "1");
    assertThat(r.exit()).as(r.err()).isZero();
    return r.out().strip();
  }

  static void join(KubernetesClient client, String organisation) {
    client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("join").endMetadata()
        .withType(JoinModel.TYPE).addToStringData(JoinModel.TOKEN, token(organisation))
        .addToStringData(JoinModel.ENDPOINT, "https://127.0.0.1:" + endpoint.port())
        .addToStringData(JoinModel.DOMAIN, DOMAIN).addToStringData(JoinModel.JOB, "mnist")
        .addToStringData(JoinModel.ORGANISATION, organisation).build()).create();
  }

  /** The federation's records in a cluster's Corefile, as CoreDNS would read them. */
  static SortedSet<DnsRecord> records(KubernetesClient client) {
    return new TreeSet<>(new CoreDnsUpdater(client).currentRecords().getOrDefault("federation/" + NS + "/"
        + (client == coordinator ? "fl" : DOMAIN), new TreeSet<>()));
  }

  static Set<DnsRecord> expected(String coordinatorAddress, String... others) {
    Set<DnsRecord> out = new TreeSet<>();
    out.add(DnsRecord.of("*.server." + DOMAIN, coordinatorAddress));
    for (int i = 0; i < others.length; i += 2) {
      out.add(DnsRecord.of("*." + others[i] + ".party." + DOMAIN, others[i + 1]));
    }
    return out;
  }

  @Test
  @DisplayName("enrolled parties get the members' records and the coordinator's CA (no certificate in the Federation); an "
      + "edit of the coordinator's address reaches both party clusters' DNS with nothing else edited, though their refreshes "
      + "outnumber the enrollment attempts the one client address may make")
  void routesFollowOneEdit() {
    long start = System.nanoTime();
    join(alice, "alice");
    join(bob, "bob");
    await("both enrolled").atMost(WAIT).until(() -> "Enrolled".equals(state(alice)) && "Enrolled".equals(state(bob)));
    long enrolledMs = (System.nanoTime() - start) / 1_000_000;

    await("routes in both party clusters").atMost(WAIT).untilAsserted(() -> {
      assertThat(records(alice)).containsExactlyElementsOf(expected("198.51.100.10", "bob", "198.51.100.22"));
      assertThat(records(bob)).containsExactlyElementsOf(expected("198.51.100.10", "alice", "198.51.100.21"));
    });
    assertThat(records(coordinator)).containsExactly(DnsRecord.of("*.alice.party." + DOMAIN, "198.51.100.21"),
        DnsRecord.of("*.bob.party." + DOMAIN, "198.51.100.22"));
    for (KubernetesClient party : List.of(alice, bob)) {
      assertThat(party.configMaps().inNamespace("default").withName("flotilla-federation-trust." + DOMAIN).get().getData())
          .containsEntry("ca.crt", caPem);
      assertThat(KubeApi.corefile(party)).contains("match ^.+\\.server\\.fl\\.example\\.org\\.$")
          .contains("answer \"{{ .Name }} 60 IN A 198.51.100.10\"");
    }

    // one edit, at the coordinator
    long edit = System.nanoTime();
    coordinator.resources(Federation.class).inNamespace(NS).withName("fl").edit(f -> {
      f.getSpec().getMembers().get(0).setAddress("198.51.100.99");
      return f;
    });
    await("both party clusters follow").atMost(WAIT).untilAsserted(() -> {
      assertThat(records(alice)).containsExactlyElementsOf(expected("198.51.100.99", "bob", "198.51.100.22"));
      assertThat(records(bob)).containsExactlyElementsOf(expected("198.51.100.99", "alice", "198.51.100.21"));
    });
    long followMs = (System.nanoTime() - edit) / 1_000_000;
    System.out.printf("federation-routes: enrolled both parties in %d ms; the coordinator's address change reached both party "
        + "clusters' DNS in %d ms (refresh interval %d ms)%n", enrolledMs, followMs, REFRESH.toMillis());
  }

  static String state(KubernetesClient client) {
    var s = client.secrets().inNamespace(NS).withName("join").get();
    return s == null || s.getMetadata().getAnnotations() == null ? null : s.getMetadata().getAnnotations().get(JoinModel.STATE);
  }
}
