package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.DnsSpec;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobSpec;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.PublishPolicy;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.IflearnerJobReconciler;
import dev.flotilla.dns.HostPolicy;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 against a real kube-apiserver: what a tenant namespace can make the controller publish
 * (DNS names, addresses), which certificates it issues for which hosts, and the server's party
 * allow-list. Most tests drive one reconcile at a time (the outcome of a given state, without
 * waiting on watches); the slots test runs the controller, because it is about what its watches do.
 */
@DisplayName("trust model of the IflearnerJob controller against a real kube-apiserver")
class TrustModelIT extends OnKubeApiServer {

  static final String INGRESS_IP = "172.31.164.52";
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String IFLEARNER_IMAGE = "ghcr.io/iflytek/iflearner:v0.1.0";
  static final String SERVER_IMAGE = "ghcr.io/flotilla-dev/flotilla-server:0.1.0";
  static final String PARTY_IMAGE = "ghcr.io/flotilla-dev/flotilla-party:0.1.0";

  static KubernetesClient client;
  static ControllerConfig config;
  static IflearnerJobReconciler reconciler;

  @BeforeAll
  static void setUp() {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.coreDnsConfigMap(client);
    KubeApi.installCrd(client);
    config = ControllerConfig.defaults().withIngressAddress(INGRESS_IP);
    reconciler = new IflearnerJobReconciler(client, config, Clock.systemUTC());
  }

  @AfterAll
  static void tearDown() {
    if (client != null) {
      client.close();
    }
  }

  // ---- finding 4: cluster DNS ----

  @Test
  @DisplayName("a job naming a cluster-internal or reserved host is refused: HostAccepted=False and an Event say why, "
      + "and nothing reaches the Corefile, no certificate, Service, Ingress or Pod is made")
  void clusterAndReservedNamesRefused() {
    String ns = namespace("tenant-reserved");
    Map<String, String> hosts = new TreeMap<>(Map.of(
        "apiserver", "kubernetes.default.svc.cluster.local",
        "cluster", "job1.server.cluster.local",
        "loopback", "job1.server.localhost"));
    for (Map.Entry<String, String> e : hosts.entrySet()) {
      create(ns, e.getKey(), Role.SERVER, e.getValue(), IFLEARNER_IMAGE);
      reconciler.reconcile(ns, e.getKey());
    }
    String corefile = KubeApi.corefile(client);
    for (Map.Entry<String, String> e : hosts.entrySet()) {
      String name = e.getKey();
      assertThat(corefile).as("Corefile").doesNotContain(e.getValue()).doesNotContain("owner=iflearnerjob/" + ns + "/" + name);
      Condition accepted = condition(ns, name, "HostAccepted");
      assertThat(accepted.getStatus()).isEqualTo("False");
      assertThat(accepted.getReason()).isEqualTo("HostReserved");
      assertThat(accepted.getMessage()).contains(e.getValue());
      assertThat(job(ns, name).getStatus().getPhase()).isEqualTo("Refused");
      assertThat(warnings(ns, name)).anySatisfy(ev -> {
        assertThat(ev.getReason()).isEqualTo("HostReserved");
        assertThat(ev.getMessage()).contains(e.getValue());
      });
      assertNoChildren(ns, name);
    }
    assertThat(condition(ns, "cluster", "HostAccepted").getMessage()).contains("cluster domain cluster.local");
    assertThat(condition(ns, "loopback", "HostAccepted").getMessage()).contains("localhost");
  }

  @Test
  @DisplayName("a host published by a job of one namespace cannot be claimed from another: DNSReady=False NameClaimed, an Event, "
      + "the Corefile keeps the first job's record only; when the first job goes, the other gets the name")
  void nameHeldByAnotherNamespace() {
    String first = namespace("tenant-first");
    String second = namespace("tenant-second");
    String host = "job9.server.fl.example.org";
    create(first, "holder", Role.SERVER, host, IFLEARNER_IMAGE);
    assertThat(reconciler.reconcile(first, "holder").failed()).isFalse();
    assertThat(condition(first, "holder", "DNSReady").getStatus()).isEqualTo("True");
    assertThat(regionOf(first, "holder")).contains("template IN A " + host + " ", "IN A " + INGRESS_IP);

    create(second, "claimant", Role.SERVER, host, IFLEARNER_IMAGE);
    assertThat(reconciler.reconcile(second, "claimant").failed()).as("retried with backoff while the name is held").isTrue();
    assertThat(job(second, "claimant").getStatus().getPhase()).as("not an error of the job").isEqualTo("Pending");
    Condition dns = condition(second, "claimant", "DNSReady");
    assertThat(dns.getStatus()).isEqualTo("False");
    assertThat(dns.getReason()).isEqualTo("NameClaimed");
    assertThat(dns.getMessage()).contains(host, "another namespace").doesNotContain(first);
    assertThat(warnings(second, "claimant")).anySatisfy(ev -> assertThat(ev.getReason()).isEqualTo("NameClaimed"));
    assertThat(regionOf(second, "claimant")).isNull();
    assertThat(regionOf(first, "holder")).contains(host);

    // a second pass (a resync) changes nothing and records no second Event
    long eventsBefore = warnings(second, "claimant").size();
    reconciler.reconcile(second, "claimant");
    assertThat(warnings(second, "claimant")).hasSize((int) eventsBefore);
    assertThat(regionOf(second, "claimant")).isNull();

    client.resources(IflearnerJob.class).inNamespace(first).withName("holder").delete();
    reconciler.reconcile(first, "holder"); // the finalizer removes its records
    await("holder gone").atMost(WAIT).until(() -> job(first, "holder") == null);
    reconciler.reconcile(second, "claimant");
    assertThat(condition(second, "claimant", "DNSReady").getStatus()).isEqualTo("True");
    assertThat(regionOf(second, "claimant")).contains("template IN A " + host + " ");
    assertThat(regionOf(first, "holder")).isNull();
  }

  @Test
  @DisplayName("spec.dns.ingressAddress is not honoured by default: the record answers the controller's --ingress-address, "
      + "and DNSReady and an Event say the override was refused")
  void ingressAddressOverrideRefusedByDefault() {
    String ns = namespace("tenant-address");
    String host = "job7.server.fl.example.org";
    IflearnerJob j = newJob(ns, "pointer", Role.SERVER, host, IFLEARNER_IMAGE);
    j.getSpec().setDns(new DnsSpec(null, "10.66.66.66"));
    client.resource(j).create();
    reconciler.reconcile(ns, "pointer");
    assertThat(KubeApi.corefile(client)).doesNotContain("10.66.66.66");
    assertThat(regionOf(ns, "pointer")).contains("template IN A " + host + " ", "IN A " + INGRESS_IP + "\"");
    Condition dns = condition(ns, "pointer", "DNSReady");
    assertThat(dns.getReason()).isEqualTo("IngressAddressOverrideRefused");
    assertThat(dns.getMessage()).contains("10.66.66.66", INGRESS_IP);
    assertThat(warnings(ns, "pointer")).anySatisfy(ev -> {
      assertThat(ev.getReason()).isEqualTo("IngressAddressOverrideRefused");
      assertThat(ev.getMessage()).contains("10.66.66.66");
    });
  }

  @Test
  @DisplayName("where the controller permits it (--ingress-address-override-namespace), spec.dns.ingressAddress is what the record answers")
  void ingressAddressOverrideHonouredWherePermitted() {
    String ns = namespace("tenant-edge");
    IflearnerJobReconciler permissive = new IflearnerJobReconciler(client,
        config.withPublish(PublishPolicy.defaults().withIngressAddressOverrideIn(List.of(ns))), Clock.systemUTC());
    IflearnerJob j = newJob(ns, "edge", Role.SERVER, "edge.server.fl.example.org", IFLEARNER_IMAGE);
    j.getSpec().setDns(new DnsSpec(null, "10.77.77.77"));
    client.resource(j).create();
    assertThat(permissive.reconcile(ns, "edge").failed()).isFalse();
    assertThat(regionOf(ns, "edge")).contains("template IN A edge.server.fl.example.org ", "IN A 10.77.77.77\"");
    Condition dns = condition(ns, "edge", "DNSReady");
    assertThat(dns.getReason()).isEqualTo("Published");
    assertThat(dns.getMessage()).contains("10.77.77.77", "spec.dns.ingressAddress");
  }

  @Test
  @DisplayName("with --allowed-domain, a job in another domain is refused (DomainNotAllowed, nothing made) and one in the allowed domain is served")
  void allowListOfDomains() {
    String ns = namespace("tenant-domains");
    IflearnerJobReconciler restricted = new IflearnerJobReconciler(client,
        config.withPublish(PublishPolicy.defaults().withHosts(HostPolicy.of(List.of(), List.of("fl.example.org")))), Clock.systemUTC());
    create(ns, "outsider", Role.SERVER, "www.server.github.com", IFLEARNER_IMAGE);
    create(ns, "insider", Role.SERVER, "in.server.fl.example.org", IFLEARNER_IMAGE);
    restricted.reconcile(ns, "outsider");
    restricted.reconcile(ns, "insider");
    Condition refused = condition(ns, "outsider", "HostAccepted");
    assertThat(refused.getReason()).isEqualTo("DomainNotAllowed");
    assertThat(refused.getMessage()).contains("github.com", "[fl.example.org]");
    assertNoChildren(ns, "outsider");
    assertThat(KubeApi.corefile(client)).doesNotContain("github.com");
    assertThat(condition(ns, "insider", "HostAccepted").getStatus()).isEqualTo("True");
    assertThat(regionOf(ns, "insider")).contains("template IN A in.server.fl.example.org ");
  }

  @Test
  @DisplayName("a served job whose host is edited into a refused one loses its DNS record and finalizer at once")
  void editedIntoRefusalWithdrawsRecords() {
    String ns = namespace("tenant-edit");
    create(ns, "turncoat", Role.SERVER, "turn.server.fl.example.org", IFLEARNER_IMAGE);
    reconciler.reconcile(ns, "turncoat");
    assertThat(regionOf(ns, "turncoat")).contains("turn.server.fl.example.org");
    client.resources(IflearnerJob.class).inNamespace(ns).withName("turncoat").edit(j -> {
      j.getSpec().setHost("kube-dns.kube-system.svc.cluster.local");
      return j;
    });
    reconciler.reconcile(ns, "turncoat");
    assertThat(regionOf(ns, "turncoat")).isNull();
    assertThat(KubeApi.corefile(client)).doesNotContain("turn.server.fl.example.org", "kube-dns.kube-system");
    assertThat(job(ns, "turncoat").getMetadata().getFinalizers()).isEmpty();
    assertThat(condition(ns, "turncoat", "HostAccepted").getReason()).isEqualTo("HostReserved");
  }

  // ---- finding 1 (controller part): role and host ----

  @Test
  @DisplayName("a client whose host is a server's (and a server whose host is a party's) is refused: HostDoesNotFitRole, "
      + "no certificate, no Service, Ingress, Pod or DNS record")
  void hostMustFitRole() {
    String ns = namespace("tenant-role");
    create(ns, "fake-server", Role.CLIENT, "job3.server.iflearner.com", IFLEARNER_IMAGE);
    create(ns, "fake-party", Role.SERVER, "job3.a.party.iflearner.com", IFLEARNER_IMAGE);
    for (String name : List.of("fake-server", "fake-party")) {
      reconciler.reconcile(ns, name);
      Condition accepted = condition(ns, name, "HostAccepted");
      assertThat(accepted.getStatus()).isEqualTo("False");
      assertThat(accepted.getReason()).isEqualTo("HostDoesNotFitRole");
      assertThat(warnings(ns, name)).anySatisfy(ev -> assertThat(ev.getReason()).isEqualTo("HostDoesNotFitRole"));
      assertNoChildren(ns, name);
    }
    assertThat(condition(ns, "fake-server", "HostAccepted").getMessage())
        .contains("job3.server.iflearner.com", "<job>.<party>.party.<domain>");
    assertThat(condition(ns, "fake-party", "HostAccepted").getMessage())
        .contains("job3.a.party.iflearner.com", "<job>.server.<domain>");
    assertThat(KubeApi.corefile(client)).doesNotContain("job3.");
  }

  // ---- identities in issued certificates ----

  @Test
  @DisplayName("issued certificates carry one job-bound SPIFFE ID (…/job/<job>/server/<job>, …/job/<job>/party/<party>) "
      + "and the host as their only DNS name")
  void certificatesCarryJobBoundIdentity() throws Exception {
    String ns = namespace("tenant-identity");
    create(ns, "agg", Role.SERVER, "job5.server.fl.example.org", SERVER_IMAGE);
    create(ns, "alice", Role.CLIENT, "job5.alice.party.fl.example.org", PARTY_IMAGE);
    Map<String, String> uris = Map.of(
        "agg", "spiffe://fl.example.org/job/job5/server/job5",
        "alice", "spiffe://fl.example.org/job/job5/party/alice");
    Map<String, String> hosts = Map.of("agg", "job5.server.fl.example.org", "alice", "job5.alice.party.fl.example.org");
    for (String name : List.of("agg", "alice")) {
      assertThat(reconciler.reconcile(ns, name).failed()).isFalse();
      Secret tls = client.secrets().inNamespace(ns).withName(name + "-tls").get();
      X509Certificate leaf = CertificateModel.parse(CertificateModel.decode(tls.getData().get("tls.crt"))).get(0);
      List<String> uriSans = new ArrayList<>();
      List<String> dnsSans = new ArrayList<>();
      for (List<?> san : leaf.getSubjectAlternativeNames()) {
        if ((Integer) san.get(0) == 6) {
          uriSans.add((String) san.get(1));
        } else if ((Integer) san.get(0) == 2) {
          dnsSans.add((String) san.get(1));
        }
      }
      assertThat(uriSans).containsExactly(uris.get(name));
      assertThat(dnsSans).containsExactly(hosts.get(name));
    }
  }

  // ---- finding 5 (controller part): the server's allow-list ----

  @Test
  @DisplayName("a Flotilla server's pod reads its parties from <job>-parties: the client jobs of its job and domain in its namespace, "
      + "updated as party jobs come and go without replacing the pod; an iflearner server gets neither file nor flag")
  void serverAllowListFollowsPartyJobs() {
    String ns = namespace("slots");
    try (Controller controller = new Controller(client, config.withScope(WatchScope.of(ns)), new ControllerMetrics(new PrometheusRegistry()))) {
      controller.start();
      create(ns, "mnist-server", Role.SERVER, "mnist.server.fl.example.org", SERVER_IMAGE);
      create(ns, "mnist-party-a", Role.CLIENT, "mnist.a.party.fl.example.org", PARTY_IMAGE);
      create(ns, "other-job-party", Role.CLIENT, "other.c.party.fl.example.org", PARTY_IMAGE);
      create(ns, "other-domain-party", Role.CLIENT, "mnist.d.party.other.example", PARTY_IMAGE);
      create(ns, "iflearner-server", Role.SERVER, "ifl.server.fl.example.org", IFLEARNER_IMAGE);

      await("parties file with a").atMost(WAIT).untilAsserted(() -> assertThat(parties(ns, "mnist-server")).isEqualTo("a\n"));
      ConfigMap cm = client.configMaps().inNamespace(ns).withName("mnist-server-parties").get();
      assertThat(cm.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
        assertThat(o.getName()).isEqualTo("mnist-server");
        assertThat(o.getController()).isTrue();
      });
      await("server pod").atMost(WAIT).until(() -> client.pods().inNamespace(ns).withName("mnist-server").get() != null);
      Pod pod = client.pods().inNamespace(ns).withName("mnist-server").get();
      Container server = pod.getSpec().getContainers().get(0);
      String file = server.getArgs().stream().filter(a -> a.startsWith("--allow-party-file=")).findFirst().orElseThrow()
          .substring("--allow-party-file=".length());
      String volume = pod.getSpec().getVolumes().stream()
          .filter(v -> v.getConfigMap() != null && "mnist-server-parties".equals(v.getConfigMap().getName()))
          .findFirst().orElseThrow().getName();
      assertThat(server.getVolumeMounts()).anySatisfy(m -> {
        assertThat(m.getName()).isEqualTo(volume);
        assertThat(m.getSubPath()).as("a subPath mount would never see updates").isNull();
        assertThat(file).startsWith(m.getMountPath() + "/");
      });

      create(ns, "mnist-party-b", Role.CLIENT, "mnist.b.party.fl.example.org", PARTY_IMAGE);
      await("parties file with a and b").atMost(WAIT).untilAsserted(() -> assertThat(parties(ns, "mnist-server")).isEqualTo("a\nb\n"));
      client.resources(IflearnerJob.class).inNamespace(ns).withName("mnist-party-a").delete();
      await("parties file with b").atMost(WAIT).untilAsserted(() -> assertThat(parties(ns, "mnist-server")).isEqualTo("b\n"));
      assertThat(client.pods().inNamespace(ns).withName("mnist-server").get().getMetadata().getUid())
          .as("the server pod is not replaced when its parties change").isEqualTo(pod.getMetadata().getUid());

      await("iflearner server pod").atMost(WAIT).until(() -> client.pods().inNamespace(ns).withName("iflearner-server").get() != null);
      assertThat(client.configMaps().inNamespace(ns).withName("iflearner-server-parties").get()).isNull();
      assertThat(client.pods().inNamespace(ns).withName("iflearner-server").get().getSpec().getContainers().get(0).getArgs())
          .containsExactly("serve");
    }
  }

  // ---- helpers ----

  static String namespace(String name) {
    KubeApi.namespace(client, name);
    return name;
  }

  static IflearnerJob newJob(String ns, String name, Role role, String host, String image) {
    IflearnerJobSpec spec = new IflearnerJobSpec();
    spec.setRole(role);
    spec.setHost(host);
    spec.setTemplate(new PodTemplateSpecBuilder().withNewSpec()
        .addNewContainer().withName("main").withImage(image).withArgs("serve").endContainer()
        .endSpec().build());
    IflearnerJob job = new IflearnerJob();
    job.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    job.setSpec(spec);
    return job;
  }

  static void create(String ns, String name, Role role, String host, String image) {
    client.resource(newJob(ns, name, role, host, image)).create();
  }

  static IflearnerJob job(String ns, String name) {
    return client.resources(IflearnerJob.class).inNamespace(ns).withName(name).get();
  }

  static Condition condition(String ns, String name, String type) {
    IflearnerJob j = job(ns, name);
    assertThat(j.getStatus()).as(ns + "/" + name + " status").isNotNull();
    return j.getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).findFirst()
        .orElseThrow(() -> new AssertionError(ns + "/" + name + " has no condition " + type + ": " + j.getStatus().getConditions()));
  }

  static List<Event> warnings(String ns, String name) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType()))
        .toList();
  }

  /** The job's managed region in the Corefile, or null when it has none. */
  static String regionOf(String ns, String name) {
    String owner = Pattern.quote("owner=iflearnerjob/" + ns + "/" + name);
    Matcher m = Pattern.compile("# flotilla-dns BEGIN " + owner + "[^\\n]*\\n(.*?)# flotilla-dns END " + owner, Pattern.DOTALL)
        .matcher(KubeApi.corefile(client));
    return m.find() ? m.group(1) : null;
  }

  static String parties(String ns, String server) {
    ConfigMap cm = client.configMaps().inNamespace(ns).withName(server + "-parties").get();
    assertThat(cm).as("ConfigMap " + server + "-parties").isNotNull();
    return cm.getData().get("parties");
  }

  static void assertNoChildren(String ns, String name) {
    assertThat(client.secrets().inNamespace(ns).withName(name + "-tls").get()).as("certificate Secret").isNull();
    assertThat(client.services().inNamespace(ns).withName(name).get()).as("Service").isNull();
    assertThat(client.network().v1().ingresses().inNamespace(ns).withName(name).get()).as("Ingress").isNull();
    assertThat(client.pods().inNamespace(ns).withName(name).get()).as("Pod").isNull();
    assertThat(job(ns, name).getMetadata().getFinalizers()).as("finalizers").isEmpty();
  }
}
