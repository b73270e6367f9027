package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.Identity;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.operator.ClaimKey;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.IflearnerJobReconciler;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * spec.virtualParties on the real kube-apiserver: a study of 10 virtual parties in two party pods of 5, whose
 * aggregator admits hosts of 5. The generated CRD keeps the field; the controller builds the pods' arguments,
 * the host certificates and the aggregator's allow-list of the virtual names. One client job with spec.virtualPartyPods
 * makes its N pods itself; a template contradicting the spec is refused before anything is made.
 */
@DisplayName("IflearnerJob spec.virtualParties against a real kube-apiserver: party pods of virtual parties, one job or several")
class VirtualPartiesIT extends OnKubeApiServer {

  static final String NS = "study";
  static final String CONTROLLER_NS = "flotilla-system";
  static final Duration WAIT = Duration.ofSeconds(90);

  static KubernetesClient client;
  static Controller controller;

  @BeforeAll
  static void startController() {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.coreDnsConfigMap(client);
    KubeApi.installCrd(client);
    KubeApi.namespace(client, NS);
    KubeApi.namespace(client, CONTROLLER_NS);
    controller = new Controller(client, ControllerConfig.defaults().withScope(WatchScope.of(NS))
        .withControllerNamespace(CONTROLLER_NS).withIngressAddress("172.31.164.52").withResync(Duration.ofMinutes(10)),
        new ControllerMetrics(new PrometheusRegistry()));
    controller.start();
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

  private static IflearnerJob party(String letter, int firstPart) {
    IflearnerJob j = Samples.load("flotilla-fashion-mnist/party-a.yaml", NS);
    j.getMetadata().setName("fashion-party-" + letter);
    j.getSpec().setHost("fashion." + letter + ".party.fl.example.org");
    j.getSpec().setVirtualParties(5);
    List<String> args = j.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    args.replaceAll(a -> a.startsWith("--partition-index=") ? "--partition-index=" + firstPart
        : a.startsWith("--partition-count=") ? "--partition-count=10" : a);
    return j;
  }

  private static List<String> podArgs(String name) {
    Pod pod = client.pods().inNamespace(NS).withName(name).get();
    assertThat(pod).as("pod " + name).isNotNull();
    return pod.getSpec().getContainers().get(0).getArgs();
  }

  private static Identity certificateIdentity(String job) throws Exception {
    Secret secret = client.secrets().inNamespace(NS).withName(job + "-tls").get();
    assertThat(secret).as("TLS Secret of " + job).isNotNull();
    X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
        new ByteArrayInputStream(CertificateModel.decode(secret.getData().get(CertificateModel.TLS_CRT))
            .getBytes(StandardCharsets.US_ASCII)));
    return Identity.of(leaf);
  }

  @Test
  @DisplayName("the party pods run --virtual-parties=5 with their parts, their certificates cover <party>-v0..v4, the "
      + "aggregator runs --virtual-parties-per-host=5 and its allow-list names the 10 virtual parties")
  void twoPodsOfFive() throws Exception {
    IflearnerJob server = Samples.load("flotilla-fashion-mnist/server.yaml", NS);
    server.getSpec().setVirtualParties(5);
    client.resource(server).create();
    client.resource(party("a", 0)).create();
    client.resource(party("b", 5)).create();
    // the field survived the API server's structural pruning: the generated CRD has it
    assertThat(client.resources(IflearnerJob.class).inNamespace(NS).withName("fashion-party-a").get().getSpec()
        .getVirtualParties()).isEqualTo(5);

    await("pods and certificates").atMost(WAIT).untilAsserted(() -> {
      assertThat(podArgs("fashion-party-a")).containsOnlyOnce("--virtual-parties=5")
          .contains("--partition-index=0", "--partition-count=10");
      assertThat(podArgs("fashion-party-b")).containsOnlyOnce("--virtual-parties=5")
          .contains("--partition-index=5", "--partition-count=10");
      assertThat(podArgs("fashion-server")).containsOnlyOnce("--virtual-parties-per-host=5");
      assertThat(certificateIdentity("fashion-party-a").uri())
          .isEqualTo("spiffe://fl.example.org/job/fashion/party/a/virtual/5");
      assertThat(certificateIdentity("fashion-party-b").coversVirtualParty("b-v4")).isTrue();
      assertThat(certificateIdentity("fashion-party-b").coversVirtualParty("b-v5")).isFalse();
    });
    await("allow-list").atMost(WAIT).untilAsserted(() ->
        assertThat(client.configMaps().inNamespace(NS).withName("fashion-server-parties").get().getData())
            .containsExactly(entry("parties", "a-v0\na-v1\na-v2\na-v3\na-v4\nb-v0\nb-v1\nb-v2\nb-v3\nb-v4\n")));
  }

  private static IflearnerJob censusParty(String name, int k, Integer pods) {
    IflearnerJob j = party("c", 0);
    j.getMetadata().setName(name);
    j.getSpec().setHost("census.c.party.fl.example.org");
    j.getSpec().setVirtualParties(k);
    j.getSpec().setVirtualPartyPods(pods);
    j.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()
        .removeIf(a -> a.startsWith("--partition-index") || a.startsWith("--partition-count"));
    return j;
  }

  @Test
  @DisplayName("one client job with virtualPartyPods 3 and virtualParties 4 makes pods <job>-p0..p2, each with its parts "
      + "and its own host certificate; the allow-list names all 12; the status counts the pods; scaled to 2, p2 goes")
  void oneJobOfThreePods() throws Exception {
    IflearnerJob server = Samples.load("flotilla-fashion-mnist/server.yaml", NS);
    server.getMetadata().setName("census-server");
    server.getSpec().setHost("census.server.fl.example.org");
    server.getSpec().setVirtualParties(4);
    client.resource(server).create();
    client.resource(censusParty("census-party-c", 4, 3)).create();
    assertThat(client.resources(IflearnerJob.class).inNamespace(NS).withName("census-party-c").get().getSpec()
        .getVirtualPartyPods()).as("kept by the generated CRD").isEqualTo(3);

    await("three party pods and their certificates").atMost(WAIT).untilAsserted(() -> {
      for (int p = 0; p < 3; p++) {
        int i = p;
        assertThat(podArgs("census-party-c-p" + i)).containsOnlyOnce("--virtual-parties=4", "--partition-index=" + 4 * i,
            "--partition-count=12");
        Pod pod = client.pods().inNamespace(NS).withName("census-party-c-p" + i).get();
        assertThat(pod.getSpec().getVolumes()).anySatisfy(v -> assertThat(v.getSecret() == null ? null
            : v.getSecret().getSecretName()).isEqualTo("census-party-c-p" + i + "-tls"));
        Identity identity = certificateIdentity("census-party-c-p" + i);
        assertThat(identity.uri()).isEqualTo("spiffe://fl.example.org/job/census/party/c-p" + i + "/virtual/4");
        assertThat(identity.coversVirtualParty("c-p" + i + "-v3")).isTrue();
        assertThat(identity.coversVirtualParty("c-p" + (i + 1) % 3 + "-v0")).isFalse();
      }
      assertThat(client.pods().inNamespace(NS).withName("census-party-c").get()).as("no pod <job>").isNull();
    });
    await("allow-list and status").atMost(WAIT).untilAsserted(() -> {
      assertThat(client.configMaps().inNamespace(NS).withName("census-server-parties").get().getData())
          .containsExactly(entry("parties", "c-p0-v0\nc-p0-v1\nc-p0-v2\nc-p0-v3\nc-p1-v0\nc-p1-v1\nc-p1-v2\nc-p1-v3\n"
              + "c-p2-v0\nc-p2-v1\nc-p2-v2\nc-p2-v3\n"));
      var status = client.resources(IflearnerJob.class).inNamespace(NS).withName("census-party-c").get().getStatus();
      assertThat(status.getPodsTotal()).isEqualTo(3);
      assertThat(status.getPodsReady()).as("no kubelet runs them").isZero();
      assertThat(status.getConditions()).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("VirtualPartiesAccepted");
        assertThat(c.getStatus()).isEqualTo("True");
      });
    });

    client.resources(IflearnerJob.class).inNamespace(NS).withName("census-party-c").edit(j -> {
      j.getSpec().setVirtualPartyPods(2);
      return j;
    });
    await("p2 deleted, the allow-list cut to 8").atMost(WAIT).untilAsserted(() -> {
      Pod p2 = client.pods().inNamespace(NS).withName("census-party-c-p2").get();
      assertThat(p2 == null || p2.getMetadata().getDeletionTimestamp() != null).as("pod p2 gone or going").isTrue();
      assertThat(podArgs("census-party-c-p1")).contains("--partition-index=4", "--partition-count=8");
      assertThat(client.configMaps().inNamespace(NS).withName("census-server-parties").get().getData().get("parties"))
          .isEqualTo("c-p0-v0\nc-p0-v1\nc-p0-v2\nc-p0-v3\nc-p1-v0\nc-p1-v1\nc-p1-v2\nc-p1-v3\n");
      // no garbage collector runs here: the controller itself deletes the certificate of the pod it no longer has
      assertThat(client.secrets().inNamespace(NS).withName("census-party-c-p2-tls").get()).as("Secret of p2").isNull();
      assertThat(client.secrets().inNamespace(NS).withName("census-party-c-p1-tls").get()).as("Secret of p1").isNotNull();
    });
  }

  private static void awaitRefused(String job, String condition, String reason, String... inMessage) {
    await(job + " refused").atMost(WAIT).untilAsserted(() -> {
      var status = client.resources(IflearnerJob.class).inNamespace(NS).withName(job).get().getStatus();
      assertThat(status).isNotNull();
      assertThat(status.getConditions()).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo(condition);
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo(reason);
        assertThat(c.getMessage()).contains(inMessage);
      });
    });
  }

  /** The job's status.claims as the API server holds them (null: no status or no claims yet). */
  private static List<String> claims(String job) {
    var status = client.resources(IflearnerJob.class).inNamespace(NS).withName(job).get().getStatus();
    return status == null ? null : status.getClaims();
  }

  /**
   * Job {@code <job>-a}, party x of federation job {@code job} with {@code pods} pods (hosts x-p0..), then, once its last
   * pod exists, job {@code <job>-b}, the plain party x-p1 of the same federation job.
   */
  private static void studyThenLab(String job, int pods) {
    IflearnerJob study = censusParty(job + "-a", 2, pods);
    study.getSpec().setHost(job + ".x.party.fl.example.org");
    client.resource(study).create();
    String lastPod = job + "-a-p" + (pods - 1);
    await("pods of " + job + "-a").atMost(WAIT).until(() -> client.pods().inNamespace(NS).withName(lastPod).get() != null);
    IflearnerJob lab = censusParty(job + "-b", 2, null);
    lab.getSpec().setVirtualParties(null);
    lab.getSpec().setHost(job + ".x-p1.party.fl.example.org");
    client.resource(lab).create();
  }

  @Test
  @DisplayName("party x-p1 of another job, after party x's two pods (hosts x-p0, x-p1): refused with PodHostTaken naming "
      + "both jobs, no pod, no certificate, not in the allow-list; the two pods of x stay")
  void podHostTakenRefused() {
    studyThenLab("poll", 2);
    awaitRefused("poll-b", "VirtualPartiesAccepted", "PodHostTaken", "party host x-p1 of job poll in fl.example.org is "
        + "claimed by study/poll-b (party x-p1) and by study/poll-a (party x, spec.virtualPartyPods 2), which holds it");
    assertThat(client.resources(IflearnerJob.class).inNamespace(NS).withName("poll-b").get().getStatus().getPhase())
        .isEqualTo("Refused");
    assertThat(client.pods().inNamespace(NS).withName("poll-b").get()).isNull();
    assertThat(client.secrets().inNamespace(NS).withName("poll-b-tls").get()).isNull();
    assertThat(client.pods().inNamespace(NS).withName("poll-a-p0").get()).isNotNull();
    assertThat(client.pods().inNamespace(NS).withName("poll-a-p1").get()).isNotNull();
    assertThat(client.resources(IflearnerJob.class).inNamespace(NS).withName("poll-a").get().getStatus().getPhase())
        .isNotEqualTo("Refused");
  }

  @Test
  @DisplayName("party x scaled from 1 pod to 2 onto host x-p1, which party x-p1 of a job created later holds "
      + "(status.claims): the older job that scaled is the one refused, naming the holder; the holder keeps its pod")
  void scaledOntoAHeldHostRefused() {
    studyThenLab("ballot", 1);
    await("both accepted, holding their names").atMost(WAIT).untilAsserted(() -> {
      assertThat(claims("ballot-a")).containsExactly("pod/ballot-a-p0", "host/x-p0");
      assertThat(claims("ballot-b")).containsExactly("pod/ballot-b", "host/x-p1");
      assertThat(client.pods().inNamespace(NS).withName("ballot-b").get()).isNotNull();
    });

    client.resources(IflearnerJob.class).inNamespace(NS).withName("ballot-a").edit(j -> {
      j.getSpec().setVirtualPartyPods(2);
      return j;
    });
    awaitRefused("ballot-a", "VirtualPartiesAccepted", "PodHostTaken", "party host x-p1 of job ballot in fl.example.org is "
        + "claimed by study/ballot-a (party x, spec.virtualPartyPods 2) and by study/ballot-b (party x-p1), which holds it");
    assertThat(client.resources(IflearnerJob.class).inNamespace(NS).withName("ballot-a").get().getStatus().getPhase())
        .isEqualTo("Refused");
    assertThat(claims("ballot-a")).as("a refused job holds nothing").isEmpty();
    assertThat(client.pods().inNamespace(NS).withName("ballot-a-p1").get()).isNull();
    assertThat(client.resources(IflearnerJob.class).inNamespace(NS).withName("ballot-b").get().getStatus().getPhase())
        .isNotEqualTo("Refused");
    assertThat(claims("ballot-b")).containsExactly("pod/ballot-b", "host/x-p1");
    assertThat(client.pods().inNamespace(NS).withName("ballot-b").get()).isNotNull();
  }

  @Test
  @DisplayName("a tenant writes status.claims of its older job x (1 pod) to hold host x-p1, which job x-p1 holds, then scales x "
      + "to 2 pods: x is refused naming the holder, gets no pod or certificate for x-p1; the holder keeps its pod and its "
      + "proven claims (the controller's key in flotilla-claims-key)")
  void forgedClaimHoldsNothing() {
    String ns = "tenant";
    KubeApi.namespace(client, ns);
    // reconciled by hand, outside the running controller's scope, so that the forged status is what the reconcile reads
    IflearnerJobReconciler reconciler = new IflearnerJobReconciler(client, ControllerConfig.defaults().withScope(WatchScope.of(ns))
        .withControllerNamespace(CONTROLLER_NS).withIngressAddress("172.31.164.52"), java.time.Clock.systemUTC());
    IflearnerJob older = censusParty("forge-a", 2, 1);
    older.getMetadata().setNamespace(ns);
    older.getSpec().setHost("forge.x.party.fl.example.org");
    client.resource(older).create();
    IflearnerJob holder = censusParty("forge-b", 2, null);
    holder.getMetadata().setNamespace(ns);
    holder.getSpec().setVirtualParties(null);
    holder.getSpec().setHost("forge.x-p1.party.fl.example.org");
    client.resource(holder).create();
    for (String job : List.of("forge-a", "forge-b")) {
      IflearnerJobReconciler.Result result = reconciler.reconcile(ns, job);
      assertThat(result.failed()).as(result.summary()).isFalse();
    }
    var jobs = client.resources(IflearnerJob.class).inNamespace(ns);
    assertThat(jobs.withName("forge-b").get().getStatus().getClaims()).containsExactly("pod/forge-b", "host/x-p1");
    assertThat(jobs.withName("forge-b").get().getStatus().getClaimsProof()).isNotBlank();
    assertThat(client.secrets().inNamespace(CONTROLLER_NS).withName(ClaimKey.NAME).get()).as("the controller's key").isNotNull();

    // what a tenant allowed to write the status subresource does: claim x-p1 for x, dated after the holder's grant
    // (x's own MAC kept), then scale x
    IflearnerJob forged = jobs.withName("forge-a").get();
    forged.getStatus().setClaims(List.of("pod/forge-a-p0", "pod/forge-a-p1", "host/x-p0", "host/x-p1"));
    forged.getStatus().setClaimsProof(java.time.Instant.now().plus(Duration.ofHours(1)) + " "
        + forged.getStatus().getClaimsProof().split(" ")[1]);
    jobs.resource(forged).updateStatus();
    jobs.withName("forge-a").edit(j -> {
      j.getSpec().setVirtualPartyPods(2);
      return j;
    });
    assertThat(jobs.withName("forge-a").get().getStatus().getClaims()).as("the forged claims are what the API server holds")
        .contains("host/x-p1");

    IflearnerJobReconciler.Result forgedResult = reconciler.reconcile(ns, "forge-a");
    assertThat(forgedResult.summary()).contains("refused: party host x-p1 of job forge in fl.example.org is claimed by "
        + "tenant/forge-a (party x, spec.virtualPartyPods 2) and by tenant/forge-b (party x-p1), which holds it");
    assertThat(jobs.withName("forge-a").get().getStatus().getPhase()).isEqualTo("Refused");
    assertThat(jobs.withName("forge-a").get().getStatus().getClaims()).as("a refused job holds nothing").isEmpty();
    assertThat(client.pods().inNamespace(ns).withName("forge-a-p1").get()).isNull();
    assertThat(client.secrets().inNamespace(ns).withName("forge-a-p1-tls").get()).isNull();

    IflearnerJobReconciler.Result holderResult = reconciler.reconcile(ns, "forge-b");
    assertThat(holderResult.failed()).as(holderResult.summary()).isFalse();
    assertThat(jobs.withName("forge-b").get().getStatus().getPhase()).isNotEqualTo("Refused");
    assertThat(jobs.withName("forge-b").get().getStatus().getClaims()).containsExactly("pod/forge-b", "host/x-p1");
    assertThat(client.pods().inNamespace(ns).withName("forge-b").get()).isNotNull();
    assertThat(client.secrets().inNamespace(ns).withName("forge-b-tls").get()).isNotNull();
  }

  @Test
  @DisplayName("an N-pod job whose organisation enrolled with a federation but whose join is gone fails its certificates "
      + "with EnrolledPodIdentityFailed naming what is missing: no certificate of this cluster's CA, no pod")
  void enrolledIdentityWithoutJoinFails() {
    client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata()
        .withName("flotilla-enrolled.vote.e").withNamespace(CONTROLLER_NS)
        // the organisation's identity, as the enroller annotates it: a Secret naming none is not used at all
        .addToAnnotations(dev.flotilla.controller.model.EnrolledIdentityModel.IDENTITY_ANNOTATION,
            "spiffe://fl.example.org/job/vote/party/e").endMetadata()
        .withType("kubernetes.io/tls").withStringData(java.util.Map.of("tls.crt", "x", "tls.key", "x", "ca.crt", "x"))
        .build()).create();
    IflearnerJob job = censusParty("vote-party-e", 2, 2);
    job.getSpec().setHost("vote.e.party.fl.example.org");
    client.resource(job).create();
    awaitRefused("vote-party-e", "CertificatesReady", "EnrolledPodIdentityFailed", "no join Secret in flotilla-system "
        + "enrolled flotilla-system/flotilla-enrolled.vote.e, so the coordinator to ask for "
        + "spiffe://fl.example.org/job/vote/party/e-p0/virtual/2 is unknown");
    assertThat(client.pods().inNamespace(NS).withName("vote-party-e-p0").get()).isNull();
    assertThat(client.secrets().inNamespace(NS).withName("vote-party-e-p0-tls").get()).isNull();
  }

  @Test
  @DisplayName("a template whose --virtual-parties contradicts spec.virtualParties is refused at reconcile: phase "
      + "Refused, VirtualPartiesAccepted False naming both values, an Event, no pod and no certificate")
  void contradictingTemplateRefused() {
    IflearnerJob job = censusParty("census-party-d", 5, null);
    job.getSpec().setHost("survey.d.party.fl.example.org");
    job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().add("--virtual-parties=3");
    client.resource(job).create();
    await("refused").atMost(WAIT).untilAsserted(() -> {
      var status = client.resources(IflearnerJob.class).inNamespace(NS).withName("census-party-d").get().getStatus();
      assertThat(status).isNotNull();
      assertThat(status.getPhase()).isEqualTo("Refused");
      assertThat(status.getConditions()).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("VirtualPartiesAccepted");
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("VirtualPartiesInvalid");
        assertThat(c.getMessage()).isEqualTo("spec.template passes --virtual-parties=3 but spec.virtualParties 5 gives "
            + "--virtual-parties=5: remove the flag from the template, the controller sets it");
      });
      assertThat(client.v1().events().inNamespace(NS).list().getItems()).anySatisfy(e -> {
        assertThat(e.getInvolvedObject().getName()).isEqualTo("census-party-d");
        assertThat(e.getReason()).isEqualTo("VirtualPartiesInvalid");
      });
    });
    assertThat(client.pods().inNamespace(NS).withName("census-party-d").get()).isNull();
    assertThat(client.secrets().inNamespace(NS).withName("census-party-d-tls").get()).isNull();
  }
}
