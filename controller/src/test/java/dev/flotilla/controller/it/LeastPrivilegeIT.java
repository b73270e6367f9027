package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.JobPki;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.NginxAnnotations;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.IflearnerJobReconciler;
import dev.flotilla.controller.operator.PrivilegeCheck;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding 6 of issue 11 on a real kube-apiserver with RBAC: the shipped default deployment
 * (config/default) applied as is, and the controller running as its ServiceAccount with a token
 * the API server issued, so every request it makes is authorised by the shipped Roles.
 */
@DisplayName("least privilege: the default deployment's identity, CA custody, pod hardening, isolation, terminate-mode client Secret")
class LeastPrivilegeIT extends OnKubeApiServer {

  static final String CONTROLLER_NS = "flotilla-system";
  static final String JOBS = "default";
  static final String VICTIM = "victim";
  static final String INGRESS_IP = "172.31.164.52";
  static final Duration WAIT = Duration.ofSeconds(60);

  static KubeApi.ShippedDeployment deployment;
  static KubernetesClient admin;
  static KubernetesClient asController;
  static ControllerConfig config;
  static X509Certificate legacyCa;
  static Secret legacyCaSecret;

  @BeforeAll
  static void deployAndStart(@TempDir Path tmp) throws Exception {
    deployment = new KubeApi.ShippedDeployment(kubeConfigYaml, "config/default");
    admin = deployment.admin;
    KubeApi.namespaceWithSecret(admin, VICTIM);

    // today's layout: the namespace's CA, private key included, in an Opaque Secret beside the jobs
    CertificateAuthority ca = JobPki.newAuthority("Flotilla CA iflearner.com (" + JOBS + ")", Duration.ofDays(3650));
    ca.writeTo(tmp);
    legacyCa = ca.certificate();
    legacyCaSecret = admin.secrets().inNamespace(JOBS).resource(new SecretBuilder()
        .withNewMetadata().withName("flotilla-ca-iflearner-com").withNamespace(JOBS)
        .addToLabels("app.kubernetes.io/managed-by", "flotilla-controller")
        .addToAnnotations("flotilla.dev/domain", "iflearner.com").endMetadata()
        .withType("Opaque")
        .addToData("ca.crt", CertificateModel.encode(Files.readString(tmp.resolve(CertificateAuthority.CERTIFICATE_FILE))))
        .addToData("ca.key", CertificateModel.encode(Files.readString(tmp.resolve(CertificateAuthority.KEY_FILE))))
        .build()).create();

    config = deployment.startController("--ingress-address=" + INGRESS_IP);
    asController = deployment.asController();
    assertThat(config.scope().namespaces()).containsExactly(JOBS);
    assertThat(config.controllerNamespace()).isEqualTo(CONTROLLER_NS);
    for (String sample : List.of("iflearner/iflearnerjob-server.yaml", "iflearner/iflearnerjob-client1.yaml")) {
      KubeApi.createSample(admin, sample, JOBS);
    }
    admin.genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace(JOBS)
        .resource(Serialization.unmarshal(TERMINATE_SERVER, GenericKubernetesResource.class)).create();
  }

  @AfterAll
  static void stop() {
    if (deployment != null) {
      deployment.close();
    }
  }

  /** A Flotilla aggregator behind a TLS-terminating ingress-nginx. */
  static final String TERMINATE_SERVER = """
      apiVersion: git.iflytek.com/v1
      kind: IflearnerJob
      metadata:
        name: tmnist-server
      spec:
        role: server
        host: tmnist.server.fl.example.org
        tls:
          mode: terminate
        port: 8443
        template:
          spec:
            containers:
            - name: server
              image: ghcr.io/flotilla-dev/flotilla-server:0.1.0
              args: [--port=8443, --cert=/etc/flotilla/tls/tls.crt, --key=/etc/flotilla/tls/tls.key, --ca=/etc/flotilla/tls/ca.crt]
      """;

  static IflearnerJob job(String name) {
    return admin.resources(IflearnerJob.class).inNamespace(JOBS).withName(name).get();
  }

  static void awaitReconciled(String name) {
    await(name + " reconciled").atMost(WAIT).untilAsserted(() -> {
      IflearnerJob j = job(name);
      assertThat(j.getStatus()).isNotNull();
      assertThat(j.getStatus().getObservedGeneration()).isEqualTo(j.getMetadata().getGeneration());
      assertThat(j.getStatus().getConditions()).extracting(c -> c.getType() + "=" + c.getStatus())
          .as("conditions of %s: %s", name, j.getStatus().getConditions())
          .contains("CertificatesReady=True", "DNSReady=True", "IngressReady=True");
      assertThat(admin.pods().inNamespace(JOBS).withName(name).get()).isNotNull();
    });
  }

  @Test
  @DisplayName("as its ServiceAccount the controller does its job in the watched namespace")
  void controllerWorksWithItsRoles() {
    for (String name : List.of("iflearnerjob-server", "iflearnerjob-client1", "tmnist-server")) {
      awaitReconciled(name);
      assertThat(admin.secrets().inNamespace(JOBS).withName(name + "-tls").get()).isNotNull();
    }
    assertThat(KubeApi.corefile(admin)).contains("template IN A job1.server.iflearner.com");
  }

  @Test
  @DisplayName("its identity cannot read a Secret, list Secrets or create a pod in a namespace it does not watch, nor list Secrets cluster-wide")
  void cannotReachOtherNamespaces() {
    KubeApi.assertForbidden(() -> asController.secrets().inNamespace(VICTIM).withName("db-password").get(), "get a Secret in " + VICTIM);
    KubeApi.assertForbidden(() -> asController.secrets().inNamespace(VICTIM).list(), "list Secrets in " + VICTIM);
    KubeApi.assertForbidden(() -> asController.secrets().inNamespace("kube-system").list(), "list Secrets in kube-system");
    KubeApi.assertForbidden(() -> asController.secrets().inAnyNamespace().list(), "list Secrets in all namespaces");
    KubeApi.assertForbidden(() -> asController.pods().inNamespace(VICTIM).resource(new PodBuilder().withNewMetadata().withName("evil")
        .endMetadata().withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer().endSpec().build()).create(),
        "create a pod in " + VICTIM);
    assertThat(admin.pods().inNamespace(VICTIM).list().getItems()).isEmpty();
    // what the controller checks at start, asked of the API server for its own identity and for an admin's
    assertThat(PrivilegeCheck.excess(asController, WatchScope.of(JOBS))).isEmpty();
    assertThat(PrivilegeCheck.excess(admin, WatchScope.of(JOBS)))
        .containsExactly("list Secrets in all namespaces", "read Secrets in kube-system", "create pods in kube-system");
  }

  @Test
  @DisplayName("where the controller also runs jobs in its own namespace, a template there that mounts a Secret is refused and gets no pod")
  void controllerNamespaceJobsCannotReachKeys() {
    String own = "flotilla-lab";
    KubeApi.namespace(admin, own);
    try (Controller local = new Controller(admin, ControllerConfig.defaults().withScope(WatchScope.of(own)).withControllerNamespace(own)
        .withIngressAddress(INGRESS_IP), new ControllerMetrics(new PrometheusRegistry()))) {
      local.start();
      KubeApi.createSample(admin, "iflearner/iflearnerjob-server.yaml", own);
      await("sample reconciled in the controller's namespace").atMost(WAIT).until(() ->
          admin.pods().inNamespace(own).withName("iflearnerjob-server").get() != null);
      admin.genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace(own)
          .resource(Serialization.unmarshal(CA_THIEF, GenericKubernetesResource.class)).create();
      await("thief refused").atMost(WAIT).untilAsserted(() -> {
        IflearnerJob j = admin.resources(IflearnerJob.class).inNamespace(own).withName("thief").get();
        assertThat(j.getStatus()).isNotNull();
        assertThat(j.getStatus().getConditions()).filteredOn(c -> c.getType().equals("PodReady")).singleElement().satisfies(c -> {
          assertThat(c.getStatus()).isEqualTo("False");
          assertThat(c.getReason()).isEqualTo("TemplateRefused");
          assertThat(c.getMessage()).contains("volumes[0].secret", "where the CA keys are kept");
        });
        assertThat(j.getStatus().getPhase()).isEqualTo("Error");
      });
      assertThat(admin.pods().inNamespace(own).withName("thief").get()).isNull();
      assertThat(admin.v1().events().inNamespace(own).list().getItems())
          .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("TemplateRefused"));
    }
  }

  @Test
  @DisplayName("as its ServiceAccount, a resync of unchanged jobs writes nothing: Secrets here and in the controller's namespace, pods, policies keep their resourceVersions")
  void resyncWritesNothing() {
    List<String> jobs = List.of("iflearnerjob-server", "iflearnerjob-client1", "tmnist-server");
    jobs.forEach(LeastPrivilegeIT::awaitReconciled);
    IflearnerJobReconciler reconciler = new IflearnerJobReconciler(asController, config, Clock.systemUTC());
    // settle: the adoption and the first passes are done
    await("settled").atMost(WAIT).until(() -> jobs.stream().noneMatch(j -> reconciler.reconcile(JOBS, j).failed()));
    Map<String, String> before = resourceVersions();
    for (int pass = 0; pass < 2; pass++) {
      for (String name : jobs) {
        assertThat(reconciler.reconcile(JOBS, name).failed()).isFalse();
      }
    }
    assertThat(resourceVersions()).isEqualTo(before);
  }

  static Map<String, String> resourceVersions() {
    Map<String, String> out = new java.util.TreeMap<>();
    List<io.fabric8.kubernetes.api.model.HasMetadata> all = new java.util.ArrayList<>();
    all.addAll(admin.secrets().inNamespace(JOBS).list().getItems());
    all.addAll(admin.secrets().inNamespace(CONTROLLER_NS).list().getItems());
    all.addAll(admin.pods().inNamespace(JOBS).list().getItems());
    all.addAll(admin.network().v1().networkPolicies().inNamespace(JOBS).list().getItems());
    all.addAll(admin.configMaps().inNamespace(JOBS).list().getItems());
    all.addAll(admin.resources(IflearnerJob.class).inNamespace(JOBS).list().getItems());
    for (var h : all) {
      out.put(h.getMetadata().getNamespace() + "/" + h.getKind() + "/" + h.getMetadata().getName(), h.getMetadata().getResourceVersion());
    }
    return out;
  }

  /** A job in the controller's namespace that mounts the CA Secret to read its key. */
  static final String CA_THIEF = """
      apiVersion: git.iflytek.com/v1
      kind: IflearnerJob
      metadata:
        name: thief
      spec:
        role: server
        host: thief.server.iflearner.com
        template:
          spec:
            containers:
            - name: c
              image: busybox:1.36
              args: [cat, /ca/ca.key]
              volumeMounts:
              - {name: ca, mountPath: /ca}
            volumes:
            - name: ca
              secret:
                secretName: flotilla-ca.flotilla-lab.iflearner.com
      """;

  @Test
  @DisplayName("the CA private key lives only in the controller's namespace: no Secret in the jobs' namespace holds ca.key")
  void caKeyStaysHome() {
    awaitReconciled("iflearnerjob-server");
    await("the legacy CA Secret adopted").atMost(WAIT).untilAsserted(() ->
        assertThat(admin.secrets().inNamespace(JOBS).withName("flotilla-ca-iflearner-com").get()).isNull());
    assertThat(admin.secrets().inNamespace(JOBS).list().getItems())
        .allSatisfy(s -> assertThat(s.getData() == null ? Map.of() : s.getData()).as("Secret " + s.getMetadata().getName())
            .doesNotContainKey("ca.key"));
    List<Secret> cas = admin.secrets().inNamespace(CONTROLLER_NS).list().getItems().stream()
        .filter(s -> s.getData() != null && s.getData().containsKey("ca.key")).toList();
    assertThat(cas).extracting(s -> s.getMetadata().getName())
        .containsExactlyInAnyOrder("flotilla-ca." + JOBS + ".iflearner.com", "flotilla-ca." + JOBS + ".fl.example.org");
  }

  @Test
  @DisplayName("a CA Secret in today's layout is adopted once: the same key and certificate move to the controller's namespace, "
      + "the jobs' certificates chain to it, and the copy in the jobs' namespace is deleted")
  void legacyCaAdopted() throws Exception {
    awaitReconciled("iflearnerjob-server");
    awaitReconciled("iflearnerjob-client1");
    Secret adopted = await("adopted CA").atMost(WAIT).until(() ->
        admin.secrets().inNamespace(CONTROLLER_NS).withName("flotilla-ca." + JOBS + ".iflearner.com").get(), s -> s != null);
    assertThat(adopted.getData().get("ca.crt")).isEqualTo(legacyCaSecret.getData().get("ca.crt"));
    assertThat(adopted.getData().get("ca.key")).isEqualTo(legacyCaSecret.getData().get("ca.key"));
    assertThat(admin.secrets().inNamespace(JOBS).withName("flotilla-ca-iflearner-com").get()).isNull();
    for (String name : List.of("iflearnerjob-server", "iflearnerjob-client1")) {
      Secret tls = admin.secrets().inNamespace(JOBS).withName(name + "-tls").get();
      X509Certificate leaf = CertificateModel.parse(CertificateModel.decode(tls.getData().get("tls.crt"))).get(0);
      leaf.verify(legacyCa.getPublicKey());
      assertThat(CertificateModel.parse(CertificateModel.decode(tls.getData().get("ca.crt")))).containsExactly(legacyCa);
    }
    // the iflearner parties keep trusting the same CA (the bundle holds every CA of the namespace, one per domain)
    assertThat(CertificateModel.parse(admin.configMaps().inNamespace(JOBS).withName("server-iflearner-crt").get().getData()
        .get("server-iflearner-secret.crt"))).contains(legacyCa);
  }

  @Test
  @DisplayName("pods get runAsNonRoot (Flotilla images), no privilege escalation, capabilities dropped, RuntimeDefault seccomp "
      + "and no service-account token; the iflearner sample keeps its template and runs as its image's user")
  void podsAreHardened() {
    awaitReconciled("iflearnerjob-server");
    awaitReconciled("tmnist-server");
    for (String name : List.of("iflearnerjob-server", "tmnist-server")) {
      Pod pod = admin.pods().inNamespace(JOBS).withName(name).get();
      assertThat(pod.getSpec().getAutomountServiceAccountToken()).as(name + " automount").isFalse();
      assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
      Container c = pod.getSpec().getContainers().get(0);
      assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
      assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(c.getVolumeMounts()).noneSatisfy(m -> assertThat(m.getMountPath()).startsWith("/var/run/secrets/kubernetes.io"));
    }
    Container flotilla = admin.pods().inNamespace(JOBS).withName("tmnist-server").get().getSpec().getContainers().get(0);
    assertThat(flotilla.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(flotilla.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(flotilla.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    Container iflearner = admin.pods().inNamespace(JOBS).withName("iflearnerjob-server").get().getSpec().getContainers().get(0);
    assertThat(iflearner.getSecurityContext().getRunAsNonRoot()).isNull();
    assertThat(iflearner.getSecurityContext().getReadOnlyRootFilesystem()).isNull();
  }

  @Test
  @DisplayName("every job is isolated by default: in from the ingress namespace on gRPC and from the monitoring namespace on the metrics port")
  void isolationByDefault() {
    awaitReconciled("iflearnerjob-server");
    NetworkPolicy np = await("policy").atMost(WAIT).until(() ->
        admin.network().v1().networkPolicies().inNamespace(JOBS).withName("iflearnerjob-server-isolation").get(), p -> p != null);
    assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
    List<NetworkPolicyIngressRule> in = np.getSpec().getIngress();
    assertThat(in).hasSize(2);
    assertThat(in.get(0).getPorts()).singleElement().satisfies(p -> assertThat(p.getPort().getIntVal()).isEqualTo(50051));
    assertThat(in.get(0).getFrom()).singleElement().satisfies(f ->
        assertThat(f.getNamespaceSelector().getMatchLabels()).containsExactly(Map.entry("kubernetes.io/metadata.name", "ingress-nginx")));
    assertThat(in.get(1).getPorts()).singleElement().satisfies(p -> assertThat(p.getPort().getIntVal()).isEqualTo(9090));
    assertThat(in.get(1).getFrom()).singleElement().satisfies(f ->
        assertThat(f.getNamespaceSelector().getMatchLabels()).containsExactly(Map.entry("kubernetes.io/metadata.name", "monitoring")));
    assertThat(admin.network().v1().networkPolicies().inNamespace(JOBS).withName("iflearnerjob-client1-isolation").get()).isNotNull();
  }

  @Test
  @DisplayName("terminate mode: the Secret named by proxy-ssl-secret exists with a clientAuth-only ingress identity and ca.crt, "
      + "and the aggregator trusts ingress-nginx as its proxy")
  void terminateClientSecret() throws Exception {
    awaitReconciled("tmnist-server");
    Ingress ingress = admin.network().v1().ingresses().inNamespace(JOBS).withName("tmnist-server").get();
    String ref = ingress.getMetadata().getAnnotations().get(NginxAnnotations.PROXY_SSL_SECRET);
    assertThat(ref).startsWith(JOBS + "/");
    Secret client = await("proxy-ssl-secret").atMost(WAIT).until(() ->
        admin.secrets().inNamespace(JOBS).withName(ref.substring(JOBS.length() + 1)).get(), s -> s != null);
    X509Certificate cert = CertificateModel.parse(CertificateModel.decode(client.getData().get("tls.crt"))).get(0);
    assertThat(cert.getSubjectAlternativeNames()).extracting(san -> san.get(0) + "=" + san.get(1))
        .containsExactly("6=spiffe://fl.example.org/ingress/ingress-nginx");
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(client.getData()).containsKeys("tls.key", "ca.crt");
    X509Certificate ca = CertificateModel.parse(CertificateModel.decode(client.getData().get("ca.crt"))).get(0);
    cert.verify(ca.getPublicKey());
    Secret serverTls = admin.secrets().inNamespace(JOBS).withName("tmnist-server-tls").get();
    assertThat(client.getData().get("ca.crt")).isEqualTo(serverTls.getData().get("ca.crt"));
    Pod pod = admin.pods().inNamespace(JOBS).withName("tmnist-server").get();
    assertThat(pod.getSpec().getContainers().get(0).getArgs()).contains("--trusted-proxy=ingress-nginx");
  }
}
