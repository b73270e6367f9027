package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A job's life as the controller reports it, on a real kube-apiserver with no kubelet: the test
 * plays the kubelet and writes the pods' status (running, an image that cannot be pulled, a
 * terminated aggregator with its summary in the termination message), the way a node would. The
 * cluster has no CoreDNS ConfigMap and the controller runs with --pod-host-aliases, as on the
 * single-node cluster tier.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("a job's life in its status and Events: samples applied with kustomize, progress, image pulls, a controller restart")
class JobLifecycleIT extends OnKubeApiServer {

  static final String NS = "default";
  static final String CONTROLLER_NS = "flotilla-system";
  static final String INGRESS_IP = "10.88.0.1";
  static final Duration WAIT = Duration.ofSeconds(90);
  static final List<String> FASHION = List.of("fashion-server", "fashion-party-a", "fashion-party-b", "fashion-party-c");
  static final String SUMMARY = "{\"job_id\":\"fashion\",\"rounds_completed\":5,\"rounds_total\":5,\"finished\":true,"
      + "\"parties_connected\":3,\"parties_expected\":3,\"last_accuracy\":0.8312,\"last_loss\":0.47,\"final_accuracy\":0.8301,"
      + "\"last_round_unix_millis\":1796408234999,\"updated_unix_millis\":1796408235000}";

  static KubernetesClient client;
  static ControllerConfig config;
  static Controller controller;

  @BeforeAll
  static void start() {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.installCrd(client);
    KubeApi.namespace(client, CONTROLLER_NS);
    await("namespace default").atMost(WAIT).until(() -> client.namespaces().withName(NS).get() != null);
    config = ControllerConfig.defaults().withScope(WatchScope.of(NS)).withControllerNamespace(CONTROLLER_NS)
        .withIngressAddress(INGRESS_IP).withPodHostAliases(true);
    controller = startController();
  }

  static Controller startController() {
    Controller c = new Controller(client, config, new ControllerMetrics(new PrometheusRegistry()));
    c.start();
    return c;
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

  /** What {@code kubectl apply -k config/samples/<set> -n default} does. */
  static void applySet(String set) {
    for (var file : KubeApi.kustomizationFiles(Samples.repoRoot().resolve("config/samples").resolve(set))) {
      for (HasMetadata o : KubeApi.loadAll(file)) {
        client.resource(o).inNamespace(NS).fieldManager("kubectl").forceConflicts().serverSideApply();
      }
    }
  }

  static IflearnerJob job(String name) {
    return client.resources(IflearnerJob.class).inNamespace(NS).withName(name).get();
  }

  static Condition condition(String job, String type) {
    IflearnerJob j = job(job);
    return j == null || j.getStatus() == null ? null
        : j.getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
  }

  static List<Event> events(String job, String reason) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> job.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
  }

  /** Plays the kubelet: replaces the pod's status. */
  static void podStatus(String pod, String phase, UnaryOperator<ContainerStatusBuilder> container) {
    client.pods().inNamespace(NS).withName(pod).editStatus(p -> {
      String name = p.getSpec().getContainers().get(0).getName();
      String image = p.getSpec().getContainers().get(0).getImage();
      ContainerStatus status = container.apply(new ContainerStatusBuilder().withName(name).withImage(image).withImageID("")
          .withReady(false).withRestartCount(0)).build();
      p.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase(phase).withContainerStatuses(status).build());
      return p;
    });
  }

  /** Every child of the jobs: kind/name -> uid@resourceVersion. */
  static Map<String, String> children() {
    Map<String, String> all = new TreeMap<>();
    String selector = JobModel.LABEL_MANAGED_BY;
    List<List<? extends HasMetadata>> lists = List.of(
        client.pods().inNamespace(NS).withLabel(selector).list().getItems(),
        client.services().inNamespace(NS).withLabel(selector).list().getItems(),
        client.network().v1().ingresses().inNamespace(NS).withLabel(selector).list().getItems(),
        client.network().v1().networkPolicies().inNamespace(NS).withLabel(selector).list().getItems(),
        client.secrets().inNamespace(NS).withLabel(selector).list().getItems(),
        client.configMaps().inNamespace(NS).withLabel(selector).list().getItems());
    for (List<? extends HasMetadata> list : lists) {
      for (HasMetadata o : list) {
        all.put(o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getUid() + "@" + o.getMetadata().getResourceVersion());
      }
    }
    return all;
  }

  @Test
  @Order(1)
  @DisplayName("kubectl apply -k config/samples/flotilla-fashion-mnist: four jobs, their pods with OnFailure, the aggregator's "
      + "--termination-message, and host aliases for the job hosts; without CoreDNS, DNSReady says the pods carry the records")
  void fashionSet() {
    applySet("flotilla-fashion-mnist");
    for (String name : FASHION) {
      await(name + " pod").atMost(WAIT).until(() -> client.pods().inNamespace(NS).withName(name).get() != null);
    }
    Pod server = client.pods().inNamespace(NS).withName("fashion-server").get();
    assertThat(server.getSpec().getRestartPolicy()).isEqualTo("OnFailure");
    assertThat(server.getSpec().getContainers().get(0).getArgs()).contains("--termination-message=/dev/termination-log",
        "--state-dir=/var/lib/flotilla/state");
    assertThat(server.getSpec().getContainers().get(0).getImagePullPolicy()).isEqualTo("IfNotPresent");
    Pod party = client.pods().inNamespace(NS).withName("fashion-party-c").get();
    assertThat(party.getSpec().getHostAliases()).singleElement().satisfies(a -> {
      assertThat(a.getIp()).isEqualTo(INGRESS_IP);
      assertThat(a.getHostnames()).containsExactly("fashion.c.party.fl.example.org", "fashion.server.fl.example.org");
    });
    assertThat(party.getSpec().getVolumes()).anySatisfy(v -> assertThat(v.getHostPath().getPath())
        .isEqualTo("/usr/share/datasets/fashion-mnist"));
    await("DNSReady via host aliases").atMost(WAIT).untilAsserted(() -> {
      Condition dns = condition("fashion-server", "DNSReady");
      assertThat(dns).isNotNull();
      assertThat(dns.getStatus()).isEqualTo("True");
      assertThat(dns.getReason()).isEqualTo("HostAliases");
      assertThat(dns.getMessage()).isEqualTo("no CoreDNS ConfigMap kube-system/coredns: [fashion.server.fl.example.org=10.88.0.1] are given to the pods "
          + "as hostAliases (--pod-host-aliases)");
      assertThat(job("fashion-server").getStatus().getPhase()).isEqualTo("Pending");
    });
  }

  @Test
  @Order(2)
  @DisplayName("the aggregator running, then ended with its summary: Running, then Succeeded with round 5 of 5, 3 of 3 parties, "
      + "accuracy, loss and final accuracy; one Succeeded Event; kubectl's Table shows Round and Accuracy")
  void progressAndSuccess() throws Exception {
    podStatus("fashion-server", "Running", c -> c.withReady(true).withNewState().withNewRunning().endRunning().endState());
    await("Running").atMost(WAIT).until(() -> "Running".equals(job("fashion-server").getStatus().getPhase()));
    assertThat(job("fashion-server").getStatus().getRound()).isNull();

    podStatus("fashion-server", "Succeeded", c -> c.withNewState().withNewTerminated().withExitCode(0).withReason("Completed")
        .withMessage(SUMMARY).endTerminated().endState());
    await("Succeeded").atMost(WAIT).until(() -> "Succeeded".equals(job("fashion-server").getStatus().getPhase()));
    var s = job("fashion-server").getStatus();
    assertThat(s.getRound()).isEqualTo(5);
    assertThat(s.getRounds()).isEqualTo(5);
    assertThat(s.getPartiesConnected()).isEqualTo(3);
    assertThat(s.getPartiesExpected()).isEqualTo(3);
    assertThat(s.getAccuracy()).isEqualTo(0.8312);
    assertThat(s.getLoss()).isEqualTo(0.47);
    assertThat(s.getFinalAccuracy()).isEqualTo(0.8301);
    assertThat(s.getLastRoundTime()).isEqualTo("2026-12-04T18:17:14Z");
    assertThat(condition("fashion-server", "PodReady").getReason()).isEqualTo("Completed");
    assertThat(condition("fashion-server", "PodReady").getMessage())
        .isEqualTo("the aggregator in pod fashion-server finished 5 of 5 rounds, final accuracy 0.8301");
    await("Succeeded Event").atMost(WAIT).until(() -> events("fashion-server", "Succeeded").size() == 1);

    io.fabric8.kubernetes.client.http.HttpClient http = client.getHttpClient();
    String url = client.getMasterUrl().toString().replaceAll("/$", "") + "/apis/git.iflytek.com/v1/namespaces/" + NS
        + "/iflearnerjobs/fashion-server";
    var response = http.sendAsync(http.newHttpRequestBuilder().uri(url)
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").build(), String.class).get();
    Map<?, ?> table = Serialization.unmarshal(response.body(), Map.class);
    List<?> cells = (List<?>) ((Map<?, ?>) ((List<?>) table.get("rows")).get(0)).get("cells");
    assertThat(cells.subList(0, 5)).isEqualTo(List.of("fashion-server", "server", "Succeeded", 5, 0.8312));

    // the same pod seen again (an event on the job) writes no status and records no second Event
    String touched = client.resources(IflearnerJob.class).inNamespace(NS).withName("fashion-server")
        .edit(j -> {
          j.getMetadata().getAnnotations().put("test/touch", "1");
          return j;
        }).getMetadata().getResourceVersion();
    await("no write").during(Duration.ofSeconds(5)).atMost(WAIT).until(() ->
        touched.equals(job("fashion-server").getMetadata().getResourceVersion()) && events("fashion-server", "Succeeded").size() == 1);
  }

  @Test
  @Order(3)
  @DisplayName("a job that ended stays ended: its pod deleted is not made again, the phase stays Succeeded, PodReady says why")
  void endedStaysEnded() {
    client.pods().inNamespace(NS).withName("fashion-server").withGracePeriod(0).delete();
    await("PodReady Ended").atMost(WAIT).untilAsserted(() -> {
      Condition pod = condition("fashion-server", "PodReady");
      assertThat(pod.getReason()).isEqualTo("Ended");
      assertThat(pod.getMessage()).startsWith("the job ended (Succeeded) and its pod is gone");
    });
    await("no new pod").during(Duration.ofSeconds(5)).atMost(WAIT).until(() ->
        client.pods().inNamespace(NS).withName("fashion-server").get() == null);
    var s = job("fashion-server").getStatus();
    assertThat(s.getPhase()).isEqualTo("Succeeded");
    assertThat(s.getRound()).isEqualTo(5);
    assertThat(s.getFinalAccuracy()).isEqualTo(0.8301);
  }

  @Test
  @Order(4)
  @DisplayName("kubectl apply -k config/samples/iflearner, image not pullable: Pending, PodReady=False ImagePullFailed naming "
      + "ghcr.io/iflytek/iflearner:v0.1.0, and one Warning Event while the kubelet alternates ErrImagePull and ImagePullBackOff")
  void imagePullFailure() {
    applySet("iflearner");
    await("iflearner pod").atMost(WAIT).until(() -> client.pods().inNamespace(NS).withName("iflearnerjob-server").get() != null);
    podStatus("iflearnerjob-server", "Pending", c -> c.withNewState().withNewWaiting().withReason("ErrImagePull")
        .withMessage("rpc error: code = Unknown desc = failed to resolve reference \"ghcr.io/iflytek/iflearner:v0.1.0\"")
        .endWaiting().endState());
    await("ImagePullFailed").atMost(WAIT).untilAsserted(() -> {
      Condition pod = condition("iflearnerjob-server", "PodReady");
      assertThat(pod).isNotNull();
      assertThat(pod.getReason()).isEqualTo("ImagePullFailed");
      assertThat(pod.getMessage()).startsWith("cannot pull image ghcr.io/iflytek/iflearner:v0.1.0 for container iflearnerjob-server");
    });
    assertThat(job("iflearnerjob-server").getStatus().getPhase()).isEqualTo("Pending");
    podStatus("iflearnerjob-server", "Pending", c -> c.withNewState().withNewWaiting().withReason("ImagePullBackOff")
        .withMessage("Back-off pulling image \"ghcr.io/iflytek/iflearner:v0.1.0\"").endWaiting().endState());
    podStatus("iflearnerjob-server", "Pending", c -> c.withNewState().withNewWaiting().withReason("ErrImagePull")
        .withMessage("rpc error").endWaiting().endState());
    await("one Event").during(Duration.ofSeconds(5)).atMost(WAIT).until(() -> events("iflearnerjob-server", "ImagePullFailed").size() == 1);
    assertThat(events("iflearnerjob-server", "ImagePullFailed")).singleElement().satisfies(e -> {
      assertThat(e.getType()).isEqualTo("Warning");
      assertThat(e.getMessage()).contains("ghcr.io/iflytek/iflearner:v0.1.0");
    });
  }

  @Test
  @Order(5)
  @DisplayName("the controller restarted mid-job: the same children (names, uids, resourceVersions), none duplicated, and a "
      + "party pod that failed while it was down is reported Failed with a Warning Event")
  void controllerRestart() {
    for (String name : FASHION) {
      await(name + " settled").atMost(WAIT).until(() -> job(name).getStatus() != null
          && job(name).getStatus().getObservedGeneration() != null);
    }
    Map<String, String> before = children();
    assertThat(before.keySet()).contains("Pod/fashion-party-a", "Service/fashion-party-a", "Ingress/fashion-party-a",
        "NetworkPolicy/fashion-party-a-isolation", "Secret/fashion-party-a-tls", "ConfigMap/fashion-server-parties");
    controller.close();

    podStatus("fashion-party-a", "Failed", c -> c.withNewState().withNewTerminated().withExitCode(1).withReason("Error")
        .withMessage("party: cannot reach fashion.server.fl.example.org:443").endTerminated().endState());
    Map<String, String> whileDown = children();

    controller = startController();
    await("Failed").atMost(WAIT).until(() -> "Failed".equals(job("fashion-party-a").getStatus().getPhase()));
    assertThat(condition("fashion-party-a", "PodReady").getMessage())
        .isEqualTo("pod fashion-party-a failed: exit code 1 (Error): party: cannot reach fashion.server.fl.example.org:443");
    await("PodFailed Event").atMost(WAIT).until(() -> events("fashion-party-a", "PodFailed").size() == 1);
    await("synced").atMost(WAIT).until(() -> controller.isSynced());
    await("no child written or made").during(Duration.ofSeconds(5)).atMost(WAIT).until(() -> children().equals(whileDown));
    assertThat(children().keySet()).isEqualTo(before.keySet());
    assertThat(job("fashion-server").getStatus().getPhase()).isEqualTo("Succeeded");
  }
}
