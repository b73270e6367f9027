package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobSpec;
import dev.flotilla.controller.api.IsolationSpec;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.IflearnerJobReconciler;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The reconciler's steps against a real kube-apiserver when the API server refuses one of them: each
 * failure is reported as the condition of its own step (never another step's), with a Warning Event;
 * the steps that need it say they wait and do nothing; the others still run; the same state gives the
 * same status (no write). One reconcile at a time, so each assertion is about one pass.
 */
@DisplayName("each step of a reconcile reports its own failure, and the steps that need it wait")
class StepConditionsIT extends OnKubeApiServer {

  static final String INGRESS_IP = "172.31.164.52";
  static final String IFLEARNER_IMAGE = "ghcr.io/iflytek/iflearner:v0.1.0";
  static final String SERVER_IMAGE = "localhost/flotilla/server:0.1.0";

  static KubernetesClient client;
  static IflearnerJobReconciler reconciler;

  @BeforeAll
  static void setUp() {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.coreDnsConfigMap(client);
    KubeApi.installCrd(client);
    reconciler = new IflearnerJobReconciler(client, ControllerConfig.defaults().withIngressAddress(INGRESS_IP), Clock.systemUTC());
  }

  @AfterAll
  static void tearDown() {
    if (client != null) {
      client.close();
    }
  }

  @Test
  @DisplayName("a Service the API server refuses (gRPC port = metrics port): ServiceReady=False ServiceFailed with its message and "
      + "an Event; the Ingress waits for the Service and DNS for the Ingress; certificates, policy and pod (which need no Service) "
      + "are made; phase Error; the same state again writes no status")
  void serviceRefused() {
    String ns = namespace("steps-service");
    create(ns, "clash", Role.SERVER, "clash.server.iflearner.com", IFLEARNER_IMAGE, spec -> spec.setPort(9090));
    assertThat(reconciler.reconcile(ns, "clash").failed()).isTrue();

    assertThat(conditions(ns, "clash")).containsExactly(
        "HostAccepted=True Accepted", "CertificatesReady=True Issued", "DNSReady=False WaitingForIngressReady",
        "ServiceReady=False ServiceFailed", "IngressReady=False WaitingForServiceReady", "NetworkPolicyReady=True Applied",
        "PodReady=False PodNotReady");
    assertThat(condition(ns, "clash", "ServiceReady").getMessage())
        .isEqualTo("the API server refused it (500): failed to create typed patch object: .spec.ports: duplicate entries for key "
            + "[port=9090,protocol=\"TCP\"]");
    assertThat(condition(ns, "clash", "IngressReady").getMessage()).startsWith("waits for ServiceReady (ServiceFailed: ");
    assertThat(condition(ns, "clash", "DNSReady").getMessage()).startsWith("waits for IngressReady (WaitingForServiceReady: ");
    assertThat(job(ns, "clash").getStatus().getPhase()).isEqualTo("Error");
    assertThat(warnings(ns, "clash")).extracting(Event::getReason).containsExactly("ServiceFailed");
    assertThat(client.services().inNamespace(ns).withName("clash").get()).isNull();
    assertThat(client.network().v1().ingresses().inNamespace(ns).withName("clash").get()).isNull();
    assertThat(KubeApi.corefile(client)).doesNotContain("clash.server.iflearner.com");
    assertThat(client.pods().inNamespace(ns).withName("clash").get()).isNotNull();

    String version = job(ns, "clash").getMetadata().getResourceVersion();
    assertThat(reconciler.reconcile(ns, "clash").failed()).isTrue();
    assertThat(job(ns, "clash").getMetadata().getResourceVersion()).as("status unchanged, not written").isEqualTo(version);
  }

  @Test
  @DisplayName("a NetworkPolicy the API server refuses (an ingress namespace that is no label value): NetworkPolicyReady=False "
      + "NetworkPolicyFailed and an Event, not PodReady; the pod waits for it and is not made; Service, Ingress, DNS are made")
  void networkPolicyRefused() {
    String ns = namespace("steps-policy");
    create(ns, "fenced", Role.CLIENT, "job1.a.party.iflearner.com", IFLEARNER_IMAGE,
        spec -> spec.setIsolation(new IsolationSpec(true, "not a namespace!")));
    assertThat(reconciler.reconcile(ns, "fenced").failed()).isTrue();

    assertThat(conditions(ns, "fenced")).containsExactly(
        "HostAccepted=True Accepted", "CertificatesReady=True Issued", "DNSReady=True Published", "ServiceReady=True Applied",
        "IngressReady=True Applied", "NetworkPolicyReady=False NetworkPolicyFailed", "PodReady=False WaitingForNetworkPolicyReady");
    assertThat(condition(ns, "fenced", "NetworkPolicyReady").getMessage())
        .startsWith("the API server refused it (422): ").contains("not a namespace!");
    assertThat(condition(ns, "fenced", "PodReady").getMessage()).startsWith("waits for NetworkPolicyReady (NetworkPolicyFailed: ");
    assertThat(warnings(ns, "fenced")).extracting(Event::getReason).containsExactly("NetworkPolicyFailed");
    assertThat(client.pods().inNamespace(ns).withName("fenced").get()).as("no pod without its fence").isNull();
    assertThat(client.services().inNamespace(ns).withName("fenced").get()).isNotNull();
    assertThat(KubeApi.corefile(client)).contains("template IN A job1.a.party.iflearner.com");
    assertThat(job(ns, "fenced").getStatus().getPhase()).isEqualTo("Error");
  }

  @Test
  @DisplayName("a parties file the API server refuses to change (an immutable ConfigMap in its place): PartiesFileReady=False "
      + "PartiesFileFailed and an Event, not PodReady; the pod waits; once the ConfigMap is gone the next pass makes file and pod, "
      + "and a pass after that writes nothing")
  void partiesFileRefusedThenRecovered() {
    String ns = namespace("steps-parties");
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("agg-parties").endMetadata()
        .withImmutable(true).addToData("parties", "mallory\n").build()).create();
    create(ns, "agg", Role.SERVER, "agg.server.iflearner.com", SERVER_IMAGE, spec -> { });
    assertThat(reconciler.reconcile(ns, "agg").failed()).isTrue();

    assertThat(conditions(ns, "agg")).containsExactly(
        "HostAccepted=True Accepted", "CertificatesReady=True Issued", "DNSReady=True Published", "ServiceReady=True Applied",
        "IngressReady=True Applied", "NetworkPolicyReady=True Applied", "PartiesFileReady=False PartiesFileFailed",
        "PodReady=False WaitingForPartiesFileReady");
    assertThat(condition(ns, "agg", "PartiesFileReady").getMessage()).startsWith("the API server refused it (422): ").contains("immutable");
    assertThat(warnings(ns, "agg")).extracting(Event::getReason).containsExactly("PartiesFileFailed");
    assertThat(client.pods().inNamespace(ns).withName("agg").get()).isNull();
    assertThat(client.configMaps().inNamespace(ns).withName("agg-parties").get().getData()).containsEntry("parties", "mallory\n");

    client.configMaps().inNamespace(ns).withName("agg-parties").delete();
    assertThat(reconciler.reconcile(ns, "agg").failed()).isFalse();
    assertThat(conditions(ns, "agg")).contains("PartiesFileReady=True Applied", "PodReady=False PodNotReady");
    assertThat(condition(ns, "agg", "PartiesFileReady").getMessage())
        .isEqualTo("ConfigMap agg-parties lists 0 parties of the namespace's jobs; revocation list ConfigMap "
            + "flotilla-revoked.iflearner.com in place");
    assertThat(client.configMaps().inNamespace(ns).withName("agg-parties").get().getData()).containsEntry("parties", "");
    assertThat(client.pods().inNamespace(ns).withName("agg").get()).isNotNull();
    assertThat(job(ns, "agg").getStatus().getPhase()).isEqualTo("Pending");

    Map<String, String> before = versions(ns);
    assertThat(reconciler.reconcile(ns, "agg").failed()).isFalse();
    assertThat(versions(ns)).as("same state, same outcome: nothing written").isEqualTo(before);
  }

  // ---- helpers ----

  static String namespace(String name) {
    KubeApi.namespace(client, name);
    return name;
  }

  static void create(String ns, String name, Role role, String host, String image, Consumer<IflearnerJobSpec> edit) {
    IflearnerJobSpec spec = new IflearnerJobSpec();
    spec.setRole(role);
    spec.setHost(host);
    spec.setTemplate(new PodTemplateSpecBuilder().withNewSpec()
        .addNewContainer().withName("main").withImage(image).withArgs("serve").endContainer()
        .endSpec().build());
    edit.accept(spec);
    IflearnerJob job = new IflearnerJob();
    job.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    job.setSpec(spec);
    client.resource(job).create();
  }

  static IflearnerJob job(String ns, String name) {
    return client.resources(IflearnerJob.class).inNamespace(ns).withName(name).get();
  }

  /** {@code Type=Status Reason} of every condition, in status order. */
  static List<String> conditions(String ns, String name) {
    return job(ns, name).getStatus().getConditions().stream()
        .map(c -> c.getType() + "=" + c.getStatus() + " " + c.getReason()).toList();
  }

  static Condition condition(String ns, String name, String type) {
    return job(ns, name).getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).findFirst()
        .orElseThrow(() -> new AssertionError(ns + "/" + name + " has no condition " + type));
  }

  static List<Event> warnings(String ns, String name) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType()))
        .toList();
  }

  /** The resourceVersion of every object the controller may write in {@code ns}, and of the CoreDNS ConfigMap. */
  static Map<String, String> versions(String ns) {
    List<HasMetadata> all = new ArrayList<>();
    all.addAll(client.resources(IflearnerJob.class).inNamespace(ns).list().getItems());
    all.addAll(client.pods().inNamespace(ns).list().getItems());
    all.addAll(client.services().inNamespace(ns).list().getItems());
    all.addAll(client.network().v1().ingresses().inNamespace(ns).list().getItems());
    all.addAll(client.network().v1().networkPolicies().inNamespace(ns).list().getItems());
    all.addAll(client.configMaps().inNamespace(ns).list().getItems());
    all.addAll(client.secrets().inNamespace(ns).list().getItems());
    all.add(client.configMaps().inNamespace("kube-system").withName("coredns").get());
    Map<String, String> out = new TreeMap<>();
    all.forEach(h -> out.put(h.getKind() + "/" + h.getMetadata().getNamespace() + "/" + h.getMetadata().getName(),
        h.getMetadata().getResourceVersion()));
    return out;
  }
}
