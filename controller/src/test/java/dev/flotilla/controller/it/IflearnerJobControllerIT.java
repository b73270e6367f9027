package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.NginxAnnotations;
import dev.flotilla.controller.model.PodModel;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.IflearnerJobReconciler;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("IflearnerJob controller against a real kube-apiserver and etcd")
class IflearnerJobControllerIT extends OnKubeApiServer {

  static final String NS = "iflearner";
  static final String FLO = "flotilla";
  static final String CONTROLLER_NS = "flotilla-system";
  static final String INGRESS_IP = "172.31.164.52";
  static final Duration WAIT = Duration.ofSeconds(60);
  static final List<String> IFLEARNER_JOBS = List.of("iflearnerjob-server", "iflearnerjob-client1", "iflearnerjob-client2");

  static KubernetesClient client;
  static Controller controller;
  static ControllerConfig config;

  @BeforeAll
  static void startController() {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.coreDnsConfigMap(client);
    KubeApi.installCrd(client);
    KubeApi.namespace(client, NS);
    KubeApi.namespace(client, FLO);
    KubeApi.namespace(client, CONTROLLER_NS);
    config = ControllerConfig.defaults().withScope(WatchScope.of(NS, FLO)).withControllerNamespace(CONTROLLER_NS)
        .withIngressAddress(INGRESS_IP).withResync(Duration.ofMinutes(10));
    controller = new Controller(client, config, new ControllerMetrics(new PrometheusRegistry()));
    controller.start();
    for (String sample : List.of("iflearner/iflearnerjob-server.yaml", "iflearner/iflearnerjob-client1.yaml", "iflearner/iflearnerjob-client2.yaml")) {
      KubeApi.createSample(client, sample, NS);
    }
  }

  @AfterAll
  static void stop() {
    if (controller != null) {
      controller.close();
    }
    if (client != null) {
      client.close();
    }
  }

  static IflearnerJob job(String ns, String name) {
    return client.resources(IflearnerJob.class).inNamespace(ns).withName(name).get();
  }

  static Condition condition(IflearnerJob job, String type) {
    return job.getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
  }

  static void awaitSettled(String ns, String name) {
    awaitSettled(ns, name, false);
  }

  /** {@code flotillaServer}: the job runs a Flotilla aggregator, so it also reports its parties file. */
  static void awaitSettled(String ns, String name, boolean flotillaServer) {
    List<String> expected = new java.util.ArrayList<>(List.of("HostAccepted=True", "CertificatesReady=True", "DNSReady=True",
        "ServiceReady=True", "IngressReady=True", "NetworkPolicyReady=True", "PodReady=False"));
    if (flotillaServer) {
      expected.add(expected.size() - 1, "PartiesFileReady=True");
    }
    await(ns + "/" + name + " reconciled").atMost(WAIT).untilAsserted(() -> {
      IflearnerJob j = job(ns, name);
      assertThat(j.getStatus()).isNotNull();
      assertThat(j.getStatus().getObservedGeneration()).isEqualTo(j.getMetadata().getGeneration());
      assertThat(j.getStatus().getConditions()).extracting(c -> c.getType() + "=" + c.getStatus())
          .containsExactlyElementsOf(expected);
      assertThat(client.pods().inNamespace(ns).withName(name).get()).isNotNull();
    });
  }

  @Test
  @Order(1)
  @DisplayName("the three iflearner-operator samples, applied unchanged, get a Service, Ingress, Pod, certificate Secret and honest status each")
  void iflearnerSamples() throws Exception {
    IFLEARNER_JOBS.forEach(name -> awaitSettled(NS, name));

    // server: gRPC port 50051 and the metrics port; terminate mode Ingress with the job's Secret
    Service service = client.services().inNamespace(NS).withName("iflearnerjob-server").get();
    assertThat(service.getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort())
        .containsExactly("grpc:50051", "metrics:9090");
    assertThat(service.getSpec().getSelector()).containsEntry("app.kubernetes.io/instance", "iflearnerjob-server");
    assertOwnedByJob(service, "iflearnerjob-server");
    assertThat(service.getMetadata().getManagedFields()).anySatisfy(m -> {
      assertThat(m.getManager()).isEqualTo("flotilla-controller");
      assertThat(m.getOperation()).isEqualTo("Apply");
    });

    Ingress ingress = client.network().v1().ingresses().inNamespace(NS).withName("iflearnerjob-server").get();
    assertOwnedByJob(ingress, "iflearnerjob-server");
    assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
    assertThat(ingress.getMetadata().getAnnotations()).contains(
        entry(NginxAnnotations.BACKEND_PROTOCOL, "GRPC"),
        entry(NginxAnnotations.PROXY_BODY_SIZE, "512m"));
    assertThat(ingress.getSpec().getTls().get(0).getSecretName()).isEqualTo("iflearnerjob-server-tls");
    assertThat(ingress.getSpec().getRules().get(0).getHost()).isEqualTo("job1.server.iflearner.com");

    // parties: Ingress for their host, the iflearner CA ConfigMaps mounted where the README's args read them
    for (String party : List.of("iflearnerjob-client1", "iflearnerjob-client2")) {
      Ingress pi = client.network().v1().ingresses().inNamespace(NS).withName(party).get();
      assertThat(pi.getSpec().getRules().get(0).getHost()).endsWith(".party.iflearner.com");
      Pod pod = client.pods().inNamespace(NS).withName(party).get();
      assertOwnedByJob(pod, party);
      assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
      assertThat(pod.getSpec().getContainers().get(0).getImage()).isEqualTo("ghcr.io/iflytek/iflearner:v0.1.0");
      assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts()).extracting(m -> m.getMountPath())
          .contains("/etc/flotilla/tls", "/etc/server-iflearner-secret.crt", "/etc/party-iflearner-secret.crt");
      assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
    }

    // one CA for the namespace and domain, kept in the controller's namespace; every leaf chains to it
    Secret ca = client.secrets().inNamespace(CONTROLLER_NS).withName("flotilla-ca." + NS + ".iflearner.com").get();
    assertThat(ca.getMetadata().getOwnerReferences()).isEmpty();
    X509Certificate caCert = CertificateModel.parse(CertificateModel.decode(ca.getData().get("ca.crt"))).get(0);
    Map<String, String> expectedUris = Map.of(
        "iflearnerjob-server", "spiffe://iflearner.com/job/job1/server/job1",
        "iflearnerjob-client1", "spiffe://iflearner.com/job/job1/party/a",
        "iflearnerjob-client2", "spiffe://iflearner.com/job/job1/party/b");
    for (String name : IFLEARNER_JOBS) {
      Secret tls = client.secrets().inNamespace(NS).withName(name + "-tls").get();
      assertOwnedByJob(tls, name);
      assertThat(tls.getType()).isEqualTo("kubernetes.io/tls");
      X509Certificate leaf = CertificateModel.parse(CertificateModel.decode(tls.getData().get("tls.crt"))).get(0);
      assertThat(leaf.getIssuerX500Principal()).isEqualTo(caCert.getSubjectX500Principal());
      assertThatCode(() -> leaf.verify(caCert.getPublicKey()));
      assertThat(sans(leaf)).containsExactlyInAnyOrder(job(NS, name).getSpec().getHost(), expectedUris.get(name));
      assertThat(CertificateModel.decode(tls.getData().get("ca.crt"))).isEqualTo(CertificateModel.decode(ca.getData().get("ca.crt")));
    }
    ConfigMap serverCrt = client.configMaps().inNamespace(NS).withName("server-iflearner-crt").get();
    ConfigMap partyCrt = client.configMaps().inNamespace(NS).withName("party-iflearner-crt").get();
    assertThat(serverCrt.getData().get("server-iflearner-secret.crt")).isEqualTo(CertificateModel.decode(ca.getData().get("ca.crt")));
    assertThat(partyCrt.getData().get("party-iflearner-secret.crt")).isEqualTo(CertificateModel.decode(ca.getData().get("ca.crt")));

    // CoreDNS: each job's own host (not the README's wildcards), pointing at the ingress address
    String corefile = KubeApi.corefile(client);
    assertThat(corefile).contains("template IN A job1.server.iflearner.com", "template IN A job1.a.party.iflearner.com",
        "template IN A job1.b.party.iflearner.com", "IN A " + INGRESS_IP, "errors", "kubernetes cluster.local");
    IFLEARNER_JOBS.forEach(name -> assertThat(job(NS, name).getMetadata().getFinalizers())
        .containsExactly(IflearnerJobReconciler.FINALIZER));

    // status says what is true: no kubelet here, so the pods are not ready
    IflearnerJob server = job(NS, "iflearnerjob-server");
    assertThat(server.getStatus().getPhase()).isEqualTo("Pending");
    assertThat(server.getStatus().getEndpoint()).isEqualTo("job1.server.iflearner.com:443");
    assertThat(server.getStatus().getTlsMode()).isEqualTo("terminate");
    assertThat(condition(server, "PodReady").getReason()).isEqualTo("PodNotReady");
    assertThat(condition(server, "DNSReady").getMessage()).contains("job1.server.iflearner.com -> " + INGRESS_IP);
    assertThat(condition(server, "HostAccepted").getMessage()).isEqualTo("job1.server.iflearner.com: server of job job1 in domain iflearner.com");
    // an iflearner server gets no parties file: that is for Flotilla aggregators
    assertThat(client.configMaps().inNamespace(NS).withName("iflearnerjob-server-parties").get()).isNull();
    assertThat(client.v1().events().inNamespace(NS).list().getItems())
        .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("CertificateIssued"));
  }

  @Test
  @Order(2)
  @DisplayName("a resync of unchanged jobs writes nothing: every resourceVersion stays as it was")
  void idempotent() {
    IFLEARNER_JOBS.forEach(name -> awaitSettled(NS, name));
    Map<String, String> before = resourceVersions();
    IflearnerJobReconciler reconciler = new IflearnerJobReconciler(client, config, Clock.systemUTC());
    for (int pass = 0; pass < 2; pass++) {
      for (String name : IFLEARNER_JOBS) {
        assertThat(reconciler.reconcile(NS, name).failed()).isFalse();
      }
    }
    assertThat(resourceVersions()).isEqualTo(before);
  }

  @Test
  @Order(3)
  @DisplayName("a deleted Service, an edited Ingress and a deleted certificate Secret are restored")
  void driftRepair() {
    Service oldService = client.services().inNamespace(NS).withName("iflearnerjob-server").get();
    client.services().inNamespace(NS).withName("iflearnerjob-server").delete();
    Ingress edited = client.network().v1().ingresses().inNamespace(NS).withName("iflearnerjob-client1").edit(i -> {
      i.getMetadata().getAnnotations().put(NginxAnnotations.BACKEND_PROTOCOL, "HTTP");
      i.getSpec().getRules().get(0).setHost("evil.example.org");
      return i;
    });
    assertThat(edited.getSpec().getRules().get(0).getHost()).isEqualTo("evil.example.org");
    Secret oldSecret = client.secrets().inNamespace(NS).withName("iflearnerjob-client2-tls").get();
    client.secrets().inNamespace(NS).withName("iflearnerjob-client2-tls").delete();

    await("children restored").atMost(WAIT).untilAsserted(() -> {
      Service s = client.services().inNamespace(NS).withName("iflearnerjob-server").get();
      assertThat(s).isNotNull();
      assertThat(s.getMetadata().getUid()).isNotEqualTo(oldService.getMetadata().getUid());
      Ingress i = client.network().v1().ingresses().inNamespace(NS).withName("iflearnerjob-client1").get();
      assertThat(i.getMetadata().getAnnotations()).containsEntry(NginxAnnotations.BACKEND_PROTOCOL, "GRPC");
      assertThat(i.getSpec().getRules()).singleElement().satisfies(r -> assertThat(r.getHost()).isEqualTo("job1.a.party.iflearner.com"));
      Secret t = client.secrets().inNamespace(NS).withName("iflearnerjob-client2-tls").get();
      assertThat(t).isNotNull();
      assertThat(t.getData().get("tls.crt")).isNotEqualTo(oldSecret.getData().get("tls.crt"));
    });
  }

  @Test
  @Order(4)
  @DisplayName("a changed spec.template replaces the pod with one built from the new template")
  void templateChangeReplacesPod() {
    Pod old = client.pods().inNamespace(NS).withName("iflearnerjob-server").get();
    client.resources(IflearnerJob.class).inNamespace(NS).withName("iflearnerjob-server").edit(j -> {
      j.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("ghcr.io/iflytek/iflearner:v0.2.0");
      return j;
    });
    await("pod replaced").atMost(WAIT).untilAsserted(() -> {
      Pod p = client.pods().inNamespace(NS).withName("iflearnerjob-server").get();
      assertThat(p).isNotNull();
      assertThat(p.getMetadata().getUid()).isNotEqualTo(old.getMetadata().getUid());
      assertThat(p.getSpec().getContainers().get(0).getImage()).isEqualTo("ghcr.io/iflytek/iflearner:v0.2.0");
      assertThat(p.getMetadata().getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION))
          .isNotEqualTo(old.getMetadata().getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION));
    });
    awaitSettled(NS, "iflearnerjob-server");
    assertThat(job(NS, "iflearnerjob-server").getStatus().getObservedGeneration()).isEqualTo(2L);
  }

  @Test
  @Order(5)
  @DisplayName("deleting a job removes its CoreDNS records (and only its own), then the finalizer lets it go")
  void deletionRemovesDnsRecords() {
    client.resources(IflearnerJob.class).inNamespace(NS).withName("iflearnerjob-client2").delete();
    await("job gone").atMost(WAIT).until(() -> job(NS, "iflearnerjob-client2") == null);
    String corefile = KubeApi.corefile(client);
    assertThat(corefile).doesNotContain("b.party.iflearner.com");
    assertThat(corefile).contains("template IN A job1.server.iflearner.com", "template IN A job1.a.party.iflearner.com");
  }

  @Test
  @Order(6)
  @DisplayName("Flotilla samples: passthrough Ingress without TLS termination, and NetworkPolicies with spec.isolation")
  void flotillaSamples() {
    for (String sample : List.of("flotilla-fashion-mnist/server.yaml", "flotilla-fashion-mnist/party-a.yaml", "flotilla-fashion-mnist/party-b.yaml")) {
      KubeApi.createSample(client, sample, FLO);
    }
    for (String name : List.of("fashion-server", "fashion-party-a", "fashion-party-b")) {
      awaitSettled(FLO, name, name.equals("fashion-server"));
      Ingress i = client.network().v1().ingresses().inNamespace(FLO).withName(name).get();
      assertThat(i.getMetadata().getAnnotations()).containsExactly(entry(NginxAnnotations.SSL_PASSTHROUGH, "true"));
      assertThat(i.getSpec().getTls()).isEmpty();
      NetworkPolicy np = client.network().v1().networkPolicies().inNamespace(FLO).withName(name + "-isolation").get();
      assertOwnedByJob(np, name);
      assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
      assertThat(np.getSpec().getEgress().get(1).getTo()).anySatisfy(p ->
          assertThat(p.getIpBlock() != null ? p.getIpBlock().getCidr() : "").isEqualTo(INGRESS_IP + "/32"));
      assertThat(job(FLO, name).getStatus().getTlsMode()).isEqualTo("passthrough");
    }
    assertThat(client.configMaps().inNamespace(FLO).withName("server-iflearner-crt").get()).isNull();
    assertThat(KubeApi.corefile(client)).contains("template IN A fashion.server.fl.example.org", "template IN A fashion.a.party.fl.example.org");
    // the aggregator's allow-list: the two party samples of its job
    await("parties file").atMost(WAIT).untilAsserted(() -> {
      assertThat(client.configMaps().inNamespace(FLO).withName("fashion-server-parties").get().getData())
          .containsExactly(entry("parties", "a\nb\n"));
      assertThat(condition(job(FLO, "fashion-server"), "PartiesFileReady").getMessage())
          .isEqualTo("ConfigMap fashion-server-parties lists 2 parties of the namespace's jobs; revocation list "
              + "ConfigMap flotilla-revoked.fl.example.org in place");
    });

    // switching isolation off removes the policy
    client.resources(IflearnerJob.class).inNamespace(FLO).withName("fashion-party-b").edit(j -> {
      j.getSpec().getIsolation().setEnabled(false);
      return j;
    });
    await("policy removed").atMost(WAIT).until(() ->
        client.network().v1().networkPolicies().inNamespace(FLO).withName("fashion-party-b-isolation").get() == null);
  }

  @Test
  @Order(7)
  @DisplayName("the API server's schema refuses role: banana and a job without a template")
  void schemaValidation() {
    GenericKubernetesResource banana = Serialization.unmarshal("""
        apiVersion: git.iflytek.com/v1
        kind: IflearnerJob
        metadata:
          name: banana
        spec:
          role: banana
          host: x.server.example.org
          template:
            spec:
              containers:
              - name: c
                image: busybox
        """, GenericKubernetesResource.class);
    assertThatThrownBy(() -> client.genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace(NS)
        .resource(banana).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getMessage()).contains("spec.role").contains("banana");
        });
    GenericKubernetesResource noTemplate = Serialization.unmarshal("""
        apiVersion: git.iflytek.com/v1
        kind: IflearnerJob
        metadata:
          name: notemplate
        spec:
          role: server
        """, GenericKubernetesResource.class);
    assertThatThrownBy(() -> client.genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace(NS)
        .resource(noTemplate).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getMessage()).contains("spec.template");
        });
  }

  @Test
  @Order(8)
  @DisplayName("the API server's Table for a job (what kubectl get ifj prints) has Name, Role, Phase, Round, Accuracy, Age in that order, with the job's values")
  void printerColumns() throws Exception {
    awaitSettled(NS, "iflearnerjob-server");
    io.fabric8.kubernetes.client.http.HttpClient http = client.getHttpClient();
    String url = client.getMasterUrl().toString().replaceAll("/$", "")
        + "/apis/git.iflytek.com/v1/namespaces/" + NS + "/iflearnerjobs/iflearnerjob-server";
    io.fabric8.kubernetes.client.http.HttpResponse<String> response = http.sendAsync(http.newHttpRequestBuilder().uri(url)
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").build(), String.class).get();
    assertThat(response.code()).isEqualTo(200);
    Map<?, ?> table = Serialization.unmarshal(response.body(), Map.class);
    assertThat(table.get("kind")).isEqualTo("Table");
    assertThat(((List<?>) table.get("columnDefinitions")).stream().map(c -> String.valueOf(((Map<?, ?>) c).get("name"))).toList())
        .containsExactly("Name", "Role", "Phase", "Round", "Accuracy", "Age");
    List<Object> cells = (List<Object>) ((Map<?, ?>) ((List<?>) table.get("rows")).get(0)).get("cells");
    assertThat(cells.subList(0, 3)).containsExactly("iflearnerjob-server", "server", "Pending");
    assertThat(cells.get(3)).isNull(); // round: not reported yet
    assertThat(cells.get(4)).isNull(); // accuracy: not reported yet
    assertThat((String) cells.get(5)).isNotBlank(); // age
  }

  private static void assertThatCode(org.assertj.core.api.ThrowableAssert.ThrowingCallable c) {
    org.assertj.core.api.Assertions.assertThatCode(c).doesNotThrowAnyException();
  }

  private static void assertOwnedByJob(HasMetadata child, String jobName) {
    assertThat(child.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getKind()).isEqualTo("IflearnerJob");
      assertThat(o.getName()).isEqualTo(jobName);
      assertThat(o.getController()).isTrue();
      assertThat(o.getUid()).isEqualTo(job(child.getMetadata().getNamespace(), jobName).getMetadata().getUid());
    });
  }

  private static Set<String> sans(X509Certificate c) throws Exception {
    Set<String> out = new TreeSet<>();
    for (List<?> san : c.getSubjectAlternativeNames()) {
      out.add(String.valueOf(san.get(1)));
    }
    return out;
  }

  private static Map<String, String> resourceVersions() {
    Map<String, String> out = new LinkedHashMap<>();
    List<HasMetadata> all = new ArrayList<>();
    all.addAll(client.resources(IflearnerJob.class).inNamespace(NS).list().getItems());
    all.addAll(client.services().inNamespace(NS).list().getItems());
    all.addAll(client.network().v1().ingresses().inNamespace(NS).list().getItems());
    all.addAll(client.pods().inNamespace(NS).list().getItems());
    all.addAll(client.secrets().inNamespace(NS).list().getItems());
    all.addAll(client.configMaps().inNamespace(NS).list().getItems());
    all.addAll(client.network().v1().networkPolicies().inNamespace(NS).list().getItems());
    all.addAll(client.secrets().inNamespace(CONTROLLER_NS).list().getItems());
    all.add(client.configMaps().inNamespace("kube-system").withName("coredns").get());
    for (HasMetadata h : all) {
      out.put(h.getKind() + "/" + h.getMetadata().getName(), h.getMetadata().getResourceVersion());
    }
    return out;
  }
}
