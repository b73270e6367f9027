package dev.flotilla.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.Pem;
import dev.flotilla.controller.ControllerMain;
import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.join.JoinModel;
import dev.flotilla.controller.operator.CertificateAuthorities;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.dns.CoreDnsUpdater;
import dev.flotilla.dns.DnsRecord;
import dev.flotilla.testing.KubeadmCorefile;
import dev.flotilla.testing.NamedCluster;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Three organisations on this machine (a coordinator and two party organisations, or more of those), each
 * with its own real cluster ({@code cluster.sh --name}), its own controller (a process of its own on that
 * cluster's kubeconfig, {@code --pod-host-aliases} with its nginx's address) and its own nginx on its
 * cluster's own loopback address ({@link NodeIngress} on pod addresses: named clusters run no kube-proxy),
 * serving that cluster's Ingresses by SNI: the coordinator's, the enrollment endpoint (pinned to the
 * controller's port on the host) and the aggregators; a party organisation's, its parties' hosts
 * ({@code <job>.<organisation>.party.<domain>}, their peer endpoints). The Federation's members carry those
 * nginx addresses, so each controller points the other organisations' hosts at them in its CoreDNS.
 * {@link #enroll} is all a person does: a token per party organisation in its join Secret, and the
 * Federation (names, roles and addresses; no certificate). Shared by the cluster-tier tests of federations across clusters.
 */
final class ThreeOrganisations implements AutoCloseable {

  static final String COORDINATOR = "coordinator";
  /** The party organisations by default: two, so three clusters in all. */
  static final List<String> PARTIES = List.of("hospital-a", "hospital-b");
  static final String NS = "flotilla-system";
  static final String JOB_NS = "default";
  static final String DOMAIN = "fl.example.org";
  static final String JOB = "mnist";
  static final String ENROLL_HOST = "flotilla-enroll.server." + DOMAIN;
  static final String FEDERATION = "fl";
  static final Duration WAIT = Duration.ofMinutes(4);
  static final Duration REFRESH = Duration.ofSeconds(1);
  /** Three controller JVMs starting at once on a loaded 2-core machine took 3.5 minutes. */
  static final Duration CONTROLLER_START = Duration.ofMinutes(8);

  final Map<String, NamedCluster> clusters = new LinkedHashMap<>();
  final Map<String, KubernetesClient> clients = new LinkedHashMap<>();
  private final List<Process> controllers = new ArrayList<>();
  private final Map<String, Path> controllerLogs = new LinkedHashMap<>();
  private final Map<String, Integer> healthPorts = new LinkedHashMap<>();
  private final Path work;
  /** The party organisations, each with its own cluster. */
  final List<String> parties;
  /** Each organisation's nginx, by organisation. */
  final Map<String, NodeIngress> ingresses = new LinkedHashMap<>();
  /** The coordinator's CA (PEM), known once {@link #enroll} ran. */
  String caPem;

  private ThreeOrganisations(Path work, List<String> parties) {
    this.work = work;
    this.parties = List.copyOf(parties);
  }

  /**
   * The clusters up (in parallel), each prepared ({@link #prepare}) and then given to
   * {@code eachCluster} (images to import, say), each organisation's nginx watching its cluster, the
   * controllers started and ready, the coordinator's nginx serving the enrollment host.
   */
  static ThreeOrganisations start(Path work, Consumer<NamedCluster> eachCluster) throws Exception {
    return start(work, PARTIES, eachCluster);
  }

  /** As {@link #start(Path, Consumer)}, with these party organisations (a cluster each) instead of {@link #PARTIES}. */
  static ThreeOrganisations start(Path work, List<String> parties, Consumer<NamedCluster> eachCluster) throws Exception {
    ThreeOrganisations orgs = new ThreeOrganisations(work, parties);
    try {
      orgs.startAll(eachCluster);
    } catch (Exception | AssertionError e) {
      orgs.close();
      throw e;
    }
    return orgs;
  }

  private void startAll(Consumer<NamedCluster> eachCluster) throws Exception {
    List<CompletableFuture<NamedCluster>> starting = new ArrayList<>();
    for (String name : names()) {
      starting.add(CompletableFuture.supplyAsync(() -> {
        NamedCluster c = NamedCluster.up(name);
        eachCluster.accept(c);
        return c;
      }));
    }
    for (CompletableFuture<NamedCluster> f : starting) {
      NamedCluster c = f.join();
      clusters.put(c.name(), c);
      KubernetesClient client = c.newClient();
      clients.put(c.name(), client);
      prepare(client);
    }
    int enrollPort = freePort();
    // the coordinator's ingress: its Ingress for the enrollment host, passthrough by SNI to the controller's endpoint
    clients.get(COORDINATOR).network().v1().ingresses().inNamespace(NS).resource(new IngressBuilder()
        .withNewMetadata().withName("flotilla-enroll").withNamespace(NS)
        .addToAnnotations("nginx.ingress.kubernetes.io/ssl-passthrough", "true").endMetadata()
        .withNewSpec().withIngressClassName(NodeIngress.INGRESS_CLASS).addNewRule().withHost(ENROLL_HOST).withNewHttp()
        .addNewPath().withPath("/").withPathType("Prefix").withNewBackend().withNewService().withName("flotilla-enroll")
        .withNewPort().withNumber(enrollPort).endPort().endService().endBackend().endPath().endHttp().endRule().endSpec().build())
        .serverSideApply();
    for (String name : names()) {
      ingresses.put(name, NodeIngress.startOnNamedCluster(clients.get(name), clusters.get(name).address(), 443,
          work.resolve("nginx-" + name), COORDINATOR.equals(name) ? Map.of(ENROLL_HOST, "127.0.0.1:" + enrollPort) : Map.of()));
    }
    startController(COORDINATOR, "--enroll-federation", JOB_NS + "/" + DOMAIN, "--enroll-port", Integer.toString(enrollPort));
    for (String party : parties) {
      startController(party, "--join", "--federation-refresh", REFRESH.toSeconds() + "s");
    }
    // the person acts once the controllers run (their start is the JVM's, not the federation's, time)
    HttpClient http = HttpClient.newHttpClient();
    await("the controllers ready").atMost(CONTROLLER_START).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
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
    await("the coordinator's nginx routes the enrollment host").atMost(WAIT)
        .until(() -> coordinatorIngress().routes().containsKey(ENROLL_HOST));
  }

  /**
   * What the person does: a token per party organisation ({@code controller enroll token create}) written
   * into that organisation's join Secret, and the Federation in the coordinator's cluster. Returns once
   * every party organisation is enrolled.
   */
  void enroll() throws Exception {
    Map<String, String> tokens = new LinkedHashMap<>();
    for (String party : parties) {
      tokens.put(party, token(party));
    }
    KubernetesClient coordinator = clients.get(COORDINATOR);
    // names and addresses only: no certificate is copied out of the coordinator's cluster (its endpoint serves its
    // bundle with the CA that signs there, CoordinatorTrust)
    List<FederationSpec.Member> members = new ArrayList<>();
    members.add(new FederationSpec.Member(COORDINATOR, "coordinator", ingressAddress(COORDINATOR), null));
    parties.forEach(p -> members.add(new FederationSpec.Member(p, "party", ingressAddress(p), null)));
    Federation federation = new Federation();
    federation.setMetadata(new ObjectMetaBuilder().withName(FEDERATION).withNamespace(NS).build());
    FederationSpec spec = new FederationSpec();
    spec.setDomain(DOMAIN);
    spec.setMembers(members);
    federation.setSpec(spec);
    coordinator.resource(federation).create();
    for (String party : parties) {
      clients.get(party).secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("join-fl")
          .endMetadata().withType(JoinModel.TYPE).addToStringData(JoinModel.TOKEN, tokens.get(party))
          .addToStringData(JoinModel.ENDPOINT, "https://" + coordinatorIngress().address())
          .addToStringData(JoinModel.DOMAIN, DOMAIN).addToStringData(JoinModel.JOB, JOB)
          .addToStringData(JoinModel.ORGANISATION, party).build()).create();
    }
    await("every party organisation enrolled").atMost(WAIT).pollInterval(Duration.ofMillis(200))
        .until(() -> parties.stream().allMatch(p -> "Enrolled".equals(joinState(p))));
    // the tests' reference for their checks (the token made the CA; this only reads it)
    caPem = Pem.encode(new CertificateAuthorities(coordinator, NS, ObservedState.direct(coordinator, NS))
        .ensure(JOB_NS, DOMAIN).ca().rootCertificate());
  }

  /** One edit in the coordinator's cluster: the coordinator member's address. */
  void moveCoordinator(String address) {
    clients.get(COORDINATOR).resources(Federation.class).inNamespace(NS).withName(FEDERATION).edit(f -> {
      f.getSpec().getMembers().stream().filter(m -> COORDINATOR.equals(m.getName())).forEach(m -> m.setAddress(address));
      return f;
    });
  }

  /** The federation's records in a party cluster's Corefile, as CoreDNS would read them. */
  Set<DnsRecord> records(String party) {
    return new TreeSet<>(new CoreDnsUpdater(clients.get(party)).currentRecords()
        .getOrDefault("federation/" + NS + "/" + DOMAIN, new TreeSet<>()));
  }

  /** The records a party cluster holds: the coordinator's {@code *.server} and the other parties' hosts. */
  Set<DnsRecord> expectedRecords(String coordinatorAddress, String party) {
    Set<DnsRecord> records = new TreeSet<>(List.of(DnsRecord.of("*.server." + DOMAIN, coordinatorAddress)));
    otherParties(party).forEach(other -> records.add(DnsRecord.of("*." + other + ".party." + DOMAIN, ingressAddress(other))));
    return records;
  }

  /** The party organisations but {@code party}. */
  List<String> otherParties(String party) {
    return parties.stream().filter(p -> !p.equals(party)).toList();
  }

  /**
   * The addresses {@code host} resolves to in {@code organisation}'s cluster: those of its Corefile's records
   * (any owner's) that match it, as CoreDNS would answer (no CoreDNS runs in this tier).
   */
  Set<String> resolve(String organisation, String host) {
    Set<String> addresses = new TreeSet<>();
    new CoreDnsUpdater(clients.get(organisation)).currentRecords().values()
        .forEach(records -> records.stream().filter(r -> r.matches(host)).forEach(r -> addresses.add(r.address())));
    return addresses;
  }

  /** The address of {@code organisation}'s nginx: its member's address in the Federation. */
  String ingressAddress(String organisation) {
    return ingresses.get(organisation).ip();
  }

  NodeIngress coordinatorIngress() {
    return ingresses.get(COORDINATOR);
  }

  String joinState(String party) {
    Secret s = clients.get(party).secrets().inNamespace(NS).withName("join-fl").get();
    return s == null || s.getMetadata().getAnnotations() == null ? null : s.getMetadata().getAnnotations().get(JoinModel.STATE);
  }

  @Override
  public void close() {
    for (Process p : controllers) {
      p.destroy();
      try {
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      p.destroyForcibly();
    }
    ingresses.values().forEach(NodeIngress::close);
    clients.values().forEach(KubernetesClient::close);
    names().forEach(NamedCluster::down);
    controllerLogs.forEach((name, log) -> System.out.println("---- controller of " + name + " (tail)\n" + tail(log)));
  }

  /** The organisations: the coordinator, then the parties. */
  List<String> names() {
    List<String> names = new ArrayList<>(List.of(COORDINATOR));
    names.addAll(parties);
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
  private void startController(String name, String... more) throws IOException {
    NamedCluster c = clusters.get(name);
    int healthPort = freePort();
    healthPorts.put(name, healthPort);
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), ControllerMain.class.getName(),
        "--kubeconfig", c.kubeconfig().toString(), "--namespace", JOB_NS, "--controller-namespace", NS,
        "--pod-host-aliases", "--ingress-address", ingressAddress(name), "--health-port", Integer.toString(healthPort),
        "--federation-member", name));
    command.addAll(List.of(more));
    Path log = work.resolve("controller-" + name + ".log");
    controllerLogs.put(name, log);
    controllers.add(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start());
  }

  /** {@code flotilla controller enroll token create}, as the coordinator's person types it; the token it prints. */
  private String token(String organisation) {
    picocli.CommandLine cl = ControllerMain.commandLine();
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
      throw new UncheckedIOException(e);
    }
  }
}
