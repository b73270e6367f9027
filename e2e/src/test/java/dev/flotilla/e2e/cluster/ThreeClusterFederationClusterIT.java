package dev.flotilla.e2e.cluster;

import static dev.flotilla.testing.RealServer.NGINX;
import static dev.flotilla.testing.RealServer.SINGLE_NODE_CLUSTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.Pem;
import dev.flotilla.controller.ControllerMain;
import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.join.JoinModel;
import dev.flotilla.controller.operator.CertificateAuthorities;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.demo.ingress.NginxIngressConfig;
import dev.flotilla.demo.ingress.NginxProcess;
import dev.flotilla.dns.CoreDnsUpdater;
import dev.flotilla.dns.DnsRecord;
import dev.flotilla.testing.KubeadmCorefile;
import dev.flotilla.testing.NamedCluster;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A federation of three organisations, each with its own real cluster on this machine ({@code cluster.sh
 * --name}), its own controller (a process of its own with that cluster's kubeconfig) and its own nginx
 * on its own address: the coordinator's serves the enrollment endpoint by SNI. A person does two
 * things: creates an enrollment token per party organisation (and writes it into that organisation's
 * join Secret) and creates the Federation resource. The party clusters' controllers enroll through the
 * coordinator's nginx, follow the coordinator's member list, and write their own CoreDNS records; an
 * edit of the coordinator's address reaches both with nothing else edited.
 */
@RequiresRealServers({SINGLE_NODE_CLUSTER, NGINX})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("a federation across three real clusters: enrollment through the coordinator's ingress, routes followed by both parties")
class ThreeClusterFederationClusterIT {

  static final String COORDINATOR = "coordinator";
  static final List<String> PARTIES = List.of("hospital-a", "hospital-b");
  static final String NS = "flotilla-system";
  static final String JOB_NS = "default";
  static final String DOMAIN = "fl.example.org";
  static final String JOB = "mnist";
  static final String ENROLL_HOST = "flotilla-enroll.server." + DOMAIN;
  static final Duration WAIT = Duration.ofMinutes(4);
  static final Duration REFRESH = Duration.ofSeconds(1);
  /** Three controller JVMs starting at once on a loaded 2-core machine took 3.5 minutes. */
  static final Duration CONTROLLER_START = Duration.ofMinutes(8);
  /** Where the edited coordinator address points: an address of no cluster (the records are what is checked). */
  static final String MOVED_ADDRESS = "10.220.0.99";

  final Map<String, NamedCluster> clusters = new LinkedHashMap<>();
  final Map<String, KubernetesClient> clients = new LinkedHashMap<>();
  final List<Process> controllers = new ArrayList<>();
  final Map<String, Path> controllerLogs = new LinkedHashMap<>();
  final Map<String, Integer> healthPorts = new LinkedHashMap<>();
  NginxProcess coordinatorIngress;
  Path work;
  String caPem;
  long enrolledMs;

  @BeforeAll
  void threeOrganisations(@TempDir Path work) throws Exception {
    this.work = work;
    List<CompletableFuture<NamedCluster>> starting = new ArrayList<>();
    for (String name : names()) {
      starting.add(CompletableFuture.supplyAsync(() -> NamedCluster.up(name)));
    }
    for (CompletableFuture<NamedCluster> f : starting) {
      NamedCluster c = f.join();
      clusters.put(c.name(), c);
      KubernetesClient client = c.newClient();
      clients.put(c.name(), client);
      prepare(client);
    }
    int enrollPort = freePort();
    NamedCluster coordinator = clusters.get(COORDINATOR);
    startController(COORDINATOR, "--enroll-federation", JOB_NS + "/" + DOMAIN, "--enroll-port", Integer.toString(enrollPort));
    for (String party : PARTIES) {
      startController(party, "--join", "--federation-refresh", REFRESH.toSeconds() + "s");
    }
    // the coordinator's ingress: its Ingress for the enrollment host, passthrough by SNI to the controller's endpoint
    Ingress enroll = clients.get(COORDINATOR).network().v1().ingresses().inNamespace(NS).resource(new IngressBuilder()
        .withNewMetadata().withName("flotilla-enroll").withNamespace(NS)
        .addToAnnotations("nginx.ingress.kubernetes.io/ssl-passthrough", "true").endMetadata()
        .withNewSpec().withIngressClassName("nginx").addNewRule().withHost(ENROLL_HOST).withNewHttp().addNewPath()
        .withPath("/").withPathType("Prefix").withNewBackend().withNewService().withName("flotilla-enroll").withNewPort()
        .withNumber(enrollPort).endPort().endService().endBackend().endPath().endHttp().endRule().endSpec().build())
        .serverSideApply();
    Path prefix = work.resolve("nginx-" + COORDINATOR);
    String config = NginxIngressConfig.builder(prefix, 443).nodeAddress(coordinator.address()).ingress(enroll)
        .backend(ENROLL_HOST, "127.0.0.1:" + enrollPort).build().render();
    coordinatorIngress = NginxProcess.start(prefix, config, coordinator.address(), 443, Duration.ofSeconds(30));
    // the person acts once the controllers run (their start is the JVM's, not the federation's, time)
    HttpClient http = HttpClient.newHttpClient();
    await("the three controllers ready").atMost(CONTROLLER_START).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .until(() -> {
          for (int port : healthPorts.values()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
              return false;
            }
          }
          return true;
        });
  }

  @AfterAll
  void stop() {
    for (Process p : controllers) {
      p.destroy();
      try {
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      p.destroyForcibly();
    }
    if (coordinatorIngress != null) {
      coordinatorIngress.close();
    }
    clients.values().forEach(KubernetesClient::close);
    names().forEach(NamedCluster::down);
    controllerLogs.forEach((name, log) -> System.out.println("---- controller of " + name + " (tail)\n" + tail(log)));
  }

  @Test
  @Order(1)
  @DisplayName("the person's two steps (a token per party organisation in its join Secret; the Federation) suffice: both parties "
      + "enroll through the coordinator's nginx, their keys made and kept in their own clusters")
  void partiesEnrollThroughTheCoordinatorsIngress() throws Exception {
    long start = System.nanoTime();
    Map<String, String> tokens = new LinkedHashMap<>();
    for (String party : PARTIES) {
      tokens.put(party, token(party));
    }
    KubernetesClient coordinator = clients.get(COORDINATOR);
    caPem = Pem.encode(new CertificateAuthorities(coordinator, NS, ObservedState.direct(coordinator, NS))
        .ensure(JOB_NS, DOMAIN).ca().rootCertificate());
    List<FederationSpec.Member> members = new ArrayList<>();
    members.add(new FederationSpec.Member(COORDINATOR, "coordinator", clusters.get(COORDINATOR).address(), caPem));
    PARTIES.forEach(p -> members.add(new FederationSpec.Member(p, "party", clusters.get(p).address(), null)));
    Federation federation = new Federation();
    federation.setMetadata(new ObjectMetaBuilder().withName("fl").withNamespace(NS).build());
    FederationSpec spec = new FederationSpec();
    spec.setDomain(DOMAIN);
    spec.setMembers(members);
    federation.setSpec(spec);
    coordinator.resource(federation).create();
    for (String party : PARTIES) {
      clients.get(party).secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("join-fl")
          .endMetadata().withType(JoinModel.TYPE).addToStringData(JoinModel.TOKEN, tokens.get(party))
          .addToStringData(JoinModel.ENDPOINT, "https://" + clusters.get(COORDINATOR).address() + ":443")
          .addToStringData(JoinModel.DOMAIN, DOMAIN).addToStringData(JoinModel.JOB, JOB)
          .addToStringData(JoinModel.ORGANISATION, party).build()).create();
    }

    await("both party organisations enrolled").atMost(WAIT).pollInterval(Duration.ofMillis(200))
        .until(() -> PARTIES.stream().allMatch(p -> "Enrolled".equals(joinState(p))));
    enrolledMs = (System.nanoTime() - start) / 1_000_000;

    X509Certificate ca = Pem.parseCertificates(caPem, "the coordinator's CA").get(0);
    List<String> partyKeys = new ArrayList<>();
    for (String party : PARTIES) {
      Secret enrolled = clients.get(party).secrets().inNamespace(NS).withName("flotilla-enrolled." + JOB + "." + party).get();
      assertThat(enrolled).as(party + ": flotilla-enrolled." + JOB + "." + party).isNotNull();
      X509Certificate leaf = Pem.parseCertificates(decoded(enrolled, "tls.crt"), enrolled.getMetadata().getName()).get(0);
      leaf.verify(ca.getPublicKey());
      assertThat(leaf.getSubjectAlternativeNames().toString()).contains("spiffe://" + DOMAIN + "/job/" + JOB + "/party/" + party);
      partyKeys.add(decoded(enrolled, "tls.key").strip());
    }
    // the keys never reached the coordinator's API server
    for (Secret s : coordinator.secrets().inAnyNamespace().list().getItems()) {
      for (String value : s.getData() == null ? List.<String>of() : s.getData().values()) {
        String text = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
        partyKeys.forEach(key -> assertThat(text).as("Secret " + s.getMetadata().getName()).doesNotContain(key));
      }
    }
    // the parties reached the endpoint only through the coordinator's nginx, by the enrollment host's SNI (nginx logs a
    // session when it ends: the clients' keep-alive connections close within seconds)
    await("enrollment sessions in the coordinator nginx's stream log").atMost(Duration.ofMinutes(1))
        .until(() -> coordinatorIngress.streamAccessLog().contains("sni=\"" + ENROLL_HOST + "\""));
  }

  @Test
  @Order(2)
  @DisplayName("each party cluster's CoreDNS holds the coordinator's and the other party's records and the coordinator's CA; "
      + "one edit of the coordinator's address reaches both party clusters")
  void routesFollowOneEdit() {
    String coordinatorAddress = clusters.get(COORDINATOR).address();
    await("routes in both party clusters").atMost(WAIT).untilAsserted(() -> {
      for (String party : PARTIES) {
        String other = PARTIES.get(1 - PARTIES.indexOf(party));
        assertThat(records(party)).as(party).isEqualTo(expected(coordinatorAddress, other));
        ConfigMap trust = clients.get(party).configMaps().inNamespace(JOB_NS).withName("flotilla-federation-trust." + DOMAIN)
            .get();
        assertThat(trust).as(party + ": trust bundle").isNotNull();
        assertThat(trust.getData()).containsEntry("ca.crt", caPem);
      }
    });

    long edit = System.nanoTime();
    clients.get(COORDINATOR).resources(Federation.class).inNamespace(NS).withName("fl").edit(f -> {
      f.getSpec().getMembers().stream().filter(m -> COORDINATOR.equals(m.getName())).forEach(m -> m.setAddress(MOVED_ADDRESS));
      return f;
    });
    await("both party clusters follow").atMost(WAIT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
      for (String party : PARTIES) {
        String other = PARTIES.get(1 - PARTIES.indexOf(party));
        assertThat(records(party)).as(party).isEqualTo(expected(MOVED_ADDRESS, other));
      }
    });
    long followMs = (System.nanoTime() - edit) / 1_000_000;
    System.out.printf(Locale.ROOT, "three-cluster federation: token to both parties enrolled (through the coordinator's nginx) "
        + "%d ms; the coordinator's address change reached both party clusters' CoreDNS in %d ms (refresh %d ms); "
        + "load average %s%n", enrolledMs, followMs, REFRESH.toMillis(), loadAverage());
  }

  // ---------------------------------------------------------------- helpers

  static List<String> names() {
    List<String> names = new ArrayList<>(List.of(COORDINATOR));
    names.addAll(PARTIES);
    return names;
  }

  /** What every organisation's cluster has before its controller starts: namespaces, CRDs, a kubeadm Corefile. */
  static void prepare(KubernetesClient client) throws IOException {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .serverSideApply();
    client.configMaps().inNamespace("kube-system").resource(new ConfigMapBuilder().withNewMetadata().withName("coredns")
        .withNamespace("kube-system").endMetadata().addToData("Corefile", KubeadmCorefile.TEXT).build()).serverSideApply();
    Path crds = FlotillaOnNode.repoRoot().resolve("config/crd");
    for (String file : List.of("federations.flotilla.dev-v1.yml", "iflearnerjobs.git.iflytek.com-v1.yml")) {
      CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(crds.resolve(file)), CustomResourceDefinition.class);
      client.apiextensions().v1().customResourceDefinitions().resource(crd).serverSideApply();
    }
    await("Federation CRD served").atMost(WAIT).ignoreExceptions()
        .until(() -> client.resources(Federation.class).inNamespace(NS).list() != null);
  }

  /** The organisation's controller: a process of its own, on its cluster's admin kubeconfig. */
  void startController(String name, String... more) throws IOException {
    NamedCluster c = clusters.get(name);
    int healthPort = freePort();
    healthPorts.put(name, healthPort);
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), ControllerMain.class.getName(),
        "--kubeconfig", c.kubeconfig().toString(), "--namespace", JOB_NS, "--controller-namespace", NS,
        "--pod-host-aliases", "--ingress-address", c.address(), "--health-port", Integer.toString(healthPort),
        "--federation-member", name));
    command.addAll(List.of(more));
    Path log = work.resolve("controller-" + name + ".log");
    controllerLogs.put(name, log);
    controllers.add(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start());
  }

  /** {@code flotilla controller enroll token create}, as the coordinator's person types it; the token it prints. */
  String token(String organisation) {
    CommandLine cl = ControllerMain.commandLine();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    int exit = cl.execute("enroll", "token", "create", "--kubeconfig", clusters.get(COORDINATOR).kubeconfig().toString(),
        "--controller-namespace", NS, "--federation", JOB_NS + "/" + DOMAIN, "--job", JOB, "--organisation", organisation,
        "--ttl", "1h", "--uses", "1");
    assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isZero();
    return out.toString(StandardCharsets.UTF_8).strip();
  }

  String joinState(String party) {
    Secret s = clients.get(party).secrets().inNamespace(NS).withName("join-fl").get();
    return s == null || s.getMetadata().getAnnotations() == null ? null : s.getMetadata().getAnnotations().get(JoinModel.STATE);
  }

  /** The federation's records in a party cluster's Corefile, as CoreDNS would read them. */
  Set<DnsRecord> records(String party) {
    return new TreeSet<>(new CoreDnsUpdater(clients.get(party)).currentRecords()
        .getOrDefault("federation/" + NS + "/" + DOMAIN, new TreeSet<>()));
  }

  Set<DnsRecord> expected(String coordinatorAddress, String otherParty) {
    return new TreeSet<>(List.of(DnsRecord.of("*.server." + DOMAIN, coordinatorAddress),
        DnsRecord.of("*." + otherParty + ".party." + DOMAIN, clusters.get(otherParty).address())));
  }

  static String decoded(Secret secret, String key) {
    return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }
}
