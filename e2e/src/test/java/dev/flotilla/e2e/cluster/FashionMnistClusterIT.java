package dev.flotilla.e2e.cluster;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static dev.flotilla.testing.RealServer.NGINX;
import static dev.flotilla.testing.RealServer.SINGLE_NODE_CLUSTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.SingleNodeCluster;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.HostAlias;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Fashion-MNIST sample set applied with kubectl on the real single-node cluster, followed through
 * one job's life: children and pods from the local images, rounds through the node's nginx by SNI,
 * the controller restarted and the server killed along the way, Succeeded with the accuracy, then
 * deleted. The steps share one federation (training it twice would double the tier's time), so they
 * run in order; the timings are printed at the end.
 */
@RequiresRealServers({SINGLE_NODE_CLUSTER, NGINX, FASHION_MNIST})
@ExtendWith(SingleNodeCluster.Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("config/samples/flotilla-fashion-mnist on the single-node cluster")
class FashionMnistClusterIT {

  static final String SAMPLES = "flotilla-fashion-mnist";
  static final String SERVER = "fashion-server";
  static final List<String> PARTIES = List.of("fashion-party-a", "fashion-party-b", "fashion-party-c");
  static final List<String> JOBS = List.of(SERVER, "fashion-party-a", "fashion-party-b", "fashion-party-c");
  static final String SERVER_HOST = "fashion.server.fl.example.org";
  static final int ROUNDS = 3;
  static final int SERVER_METRICS_PORT = 9090;
  static final int CONTROLLER_HEALTH_PORT = 8081;
  static final Duration START = Duration.ofMinutes(4);
  static final Duration TRAINING = Duration.ofMinutes(15);
  static final String INSTANCE = "app.kubernetes.io/instance";

  SingleNodeCluster node;
  FlotillaOnNode flotilla;
  KubernetesClient client;
  Instant applied;
  final Map<String, Duration> milestones = new LinkedHashMap<>();
  /** The parties' pod addresses, for nginx's log (which has a session once it ended). */
  final TreeSet<String> partyIps = new TreeSet<>();
  /** uid of every child, by kind/name, before the controller was restarted. */
  Map<String, String> childrenBeforeRestart;

  @BeforeAll
  void install(SingleNodeCluster cluster, @TempDir Path work) {
    node = cluster;
    client = cluster.newClient();
    flotilla = FlotillaOnNode.install(cluster, client, work);
  }

  @AfterAll
  void report() {
    if (flotilla != null) {
      flotilla.deleteSamples(SAMPLES);
      flotilla.close();
    }
    if (client != null) {
      client.close();
    }
    StringBuilder line = new StringBuilder("fashion-mnist on the single-node cluster, from kubectl apply:");
    milestones.forEach((what, d) -> line.append(String.format(Locale.ROOT, " %s %.1f s;", what, d.toMillis() / 1000.0)));
    line.append(String.format(Locale.ROOT, " load average %s", loadAverage()));
    System.out.println(line);
  }

  @Test
  @Order(1)
  @DisplayName("kubectl apply -k: the controller (a pod) creates each job's children; the server and 3 party pods run the "
      + "local images (never pulled), parties mount Fashion-MNIST from the node, and every pod has the job hosts as hostAliases")
  void applyStartsPodsFromLocalImages() {
    applied = Instant.now();
    String out = flotilla.applySamples(SAMPLES);
    assertThat(out).contains("iflearnerjob.git.iflytek.com/fashion-server created");

    await("four pods Running").atMost(START).pollInterval(Duration.ofMillis(500))
        .until(() -> JOBS.stream().allMatch(j -> "Running".equals(phase(pod(j)))));
    milestones.put("all pods Running", Duration.between(applied, Instant.now()));

    for (String job : JOBS) {
      assertThat(client.services().inNamespace(ns()).withName(job).get()).as("Service " + job).isNotNull();
      assertThat(client.network().v1().ingresses().inNamespace(ns()).withName(job).get()).as("Ingress " + job).isNotNull();
      assertThat(client.secrets().inNamespace(ns()).withName(job + "-tls").get()).as("Secret " + job + "-tls").isNotNull();
      Pod pod = pod(job);
      ContainerStatus status = pod.getStatus().getContainerStatuses().get(0);
      String image = pod.getSpec().getContainers().get(0).getImage();
      assertThat(image).as(job + " image").matches(job.equals(SERVER) ? ".*server.*" : ".*party.*");
      assertThat(status.getImageID()).as(job + " image id").isNotBlank();
      assertThat(events(pod)).as(job + " events").anySatisfy(e -> {
        assertThat(e.getReason()).isEqualTo("Pulled");
        assertThat(e.getMessage()).contains("already present on machine");
      });
      assertThat(events(pod)).as(job + " never pulled").noneSatisfy(e -> assertThat(e.getReason()).isEqualTo("Pulling"));
      List<HostAlias> aliases = pod.getSpec().getHostAliases();
      assertThat(aliases).as(job + " hostAliases").anySatisfy(a -> {
        assertThat(a.getIp()).isEqualTo(flotilla.nodeAddress);
        assertThat(a.getHostnames()).contains(SERVER_HOST);
      });
    }
    for (String party : PARTIES) {
      assertThat(pod(party).getSpec().getVolumes()).anySatisfy(v -> {
        assertThat(v.getHostPath()).isNotNull();
        assertThat(v.getHostPath().getPath()).isEqualTo("/usr/share/datasets/fashion-mnist");
      });
    }
    assertThat(corefile()).as("DNS records in the CoreDNS ConfigMap").contains(SERVER_HOST, "fashion.a.party.fl.example.org");
  }

  @Test
  @Order(2)
  @DisplayName("the first round completes, the parties dialling the job's host, which nginx on the node routes by SNI; the job's "
      + "status shows round 1 of 3 while it still runs (the controller polls the aggregator)")
  void firstRound() {
    await("round 1 completed").atMost(TRAINING).pollInterval(Duration.ofSeconds(1))
        .until(() -> roundsCompleted().orElse(0) >= 1);
    milestones.put("first round", Duration.between(applied, Instant.now()));
    await("status.round 1 while Running").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      IflearnerJob server = job(SERVER);
      assertThat(server.getStatus().getRound()).as("status.round").isNotNull().isGreaterThanOrEqualTo(1);
      assertThat(server.getStatus().getPhase()).as("phase while training").isEqualTo("Running");
      assertThat(server.getStatus().getRounds()).isEqualTo(ROUNDS);
      assertThat(server.getStatus().getPartiesExpected()).isEqualTo(PARTIES.size());
      assertThat(server.getStatus().getLoss()).as("loss the parties reported in round 1").isNotNull();
      assertThat(server.getStatus().getLastRoundTime()).isNotNull();
    });
    milestones.put("status.round 1 (live)", Duration.between(applied, Instant.now()));
    assertThat(flotilla.ingress.routes()).containsKey(SERVER_HOST);
    PARTIES.forEach(p -> partyIps.add(pod(p).getStatus().getPodIP()));
  }

  @Test
  @Order(3)
  @DisplayName("the controller restarted mid-job (its pods deleted) resumes: a new pod leads and reconciles, and every "
      + "child is the same object as before, none duplicated")
  void controllerRestartKeepsChildren() {
    childrenBeforeRestart = children();
    assertThat(childrenBeforeRestart.keySet()).as("children before").hasSizeGreaterThanOrEqualTo(JOBS.size() * 4);
    List<String> before = flotilla.controllerPods().stream().map(p -> p.getMetadata().getUid()).toList();
    client.pods().inNamespace(FlotillaOnNode.CONTROLLER_NAMESPACE).withLabel("app.kubernetes.io/name", FlotillaOnNode.CONTROLLER)
        .delete();
    await("a new controller pod reconciled every job").atMost(START).pollInterval(Duration.ofSeconds(1)).until(() -> {
      for (Pod p : flotilla.controllerPods()) {
        if (before.contains(p.getMetadata().getUid()) || p.getStatus().getPodIP() == null) {
          continue;
        }
        OptionalDouble reconciled = PrometheusScrape.sum(p.getStatus().getPodIP(), CONTROLLER_HEALTH_PORT,
            ControllerMetrics.RECONCILES);
        if (reconciled.isPresent() && reconciled.getAsDouble() >= JOBS.size()) {
          return true;
        }
      }
      return false;
    });
    assertThat(children()).as("children after the controller's restart").isEqualTo(childrenBeforeRestart);
  }

  @Test
  @Order(4)
  @DisplayName("status shows round 2 with the accuracy of round 1's model while the job runs; the server killed mid-training "
      + "(SIGKILL) is restarted by the kubelet (restartPolicy OnFailure), resumes from the checkpoint in its state volume and "
      + "the job goes on")
  void serverKilledResumes() {
    await("round 2 completed").atMost(TRAINING).pollInterval(Duration.ofSeconds(1))
        .until(() -> roundsCompleted().orElse(0) >= 2);
    // the parties evaluate round 1's model when they start round 2: its accuracy is known once round 2 is in
    await("status.round 2 with the accuracy of round 1's model, while Running").atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
          IflearnerJob job = job(SERVER);
          assertThat(job.getStatus().getRound()).as("status.round").isNotNull().isGreaterThanOrEqualTo(2);
          assertThat(job.getStatus().getPhase()).isEqualTo("Running");
          assertThat(job.getStatus().getAccuracy()).as("status.accuracy").isNotNull().isBetween(0.0, 1.0);
        });
    milestones.put("status.round 2 with accuracy (live)", Duration.between(applied, Instant.now()));
    int completed = (int) roundsCompleted().orElseThrow();
    Pod server = pod(SERVER);
    assertThat(completed).as("killed before the job ended").isLessThan(ROUNDS);
    flotilla.killContainer(server.getStatus().getContainerStatuses().get(0).getContainerID());
    await("server container restarted").atMost(START).pollInterval(Duration.ofMillis(500)).until(() -> {
      ContainerStatus s = pod(SERVER).getStatus().getContainerStatuses().get(0);
      return s.getRestartCount() >= 1 && s.getState().getRunning() != null;
    });
    Pod restarted = pod(SERVER);
    assertThat(restarted.getMetadata().getUid()).as("the same pod, its container restarted").isEqualTo(server.getMetadata().getUid());
    assertThat(restarted.getStatus().getContainerStatuses().get(0).getLastState().getTerminated().getExitCode())
        .as("killed by SIGKILL").isEqualTo(137);
    await("the restarted server logs its resumption").atMost(START).pollInterval(Duration.ofSeconds(1))
        .until(() -> RESUMED.matcher(serverLog()).find());
    Matcher resumed = RESUMED.matcher(serverLog());
    assertThat(resumed.find()).isTrue();
    assertThat(Integer.parseInt(resumed.group(1))).as("resumed at a round after the checkpointed ones")
        .isGreaterThanOrEqualTo(completed);
  }

  static final Pattern RESUMED = Pattern.compile("job fashion: resumed from \\S+ at round (\\d+) of " + ROUNDS);

  @Test
  @Order(5)
  @DisplayName("the job ends Succeeded with its rounds done and the final accuracy on held-out data >= 0.80 in its status")
  void succeedsWithAccuracy() {
    await("fashion-server Succeeded").atMost(TRAINING).pollInterval(Duration.ofSeconds(1))
        .until(() -> "Succeeded".equals(phaseOf(job(SERVER))));
    milestones.put("Succeeded (after one server kill)", Duration.between(applied, Instant.now()));
    IflearnerJob server = job(SERVER);
    assertThat(server.getStatus().getRound()).as("rounds done").isEqualTo(ROUNDS);
    assertThat(server.getStatus().getRounds()).as("rounds of the job").isEqualTo(ROUNDS);
    assertThat(server.getStatus().getFinalAccuracy()).as("final accuracy").isGreaterThanOrEqualTo(0.80);
    assertThat(children()).as("the same children (and pods) as before the controller's restart and the server's kill")
        .isEqualTo(childrenBeforeRestart);
  }

  @Test
  @Order(6)
  @DisplayName("kubectl delete -k removes every job's pods, Services, Ingresses, Secrets and DNS records; nginx stops routing "
      + "them, and its log shows every party's sessions to the server's host (SNI) with bytes sent")
  void deleteRemovesEverything() {
    flotilla.deleteSamples(SAMPLES);
    await("children gone").atMost(START).pollInterval(Duration.ofSeconds(1)).until(() -> children().isEmpty());
    assertThat(client.resources(IflearnerJob.class).inNamespace(ns()).list().getItems())
        .extracting(j -> j.getMetadata().getName()).doesNotContainAnyElementsOf(JOBS);
    assertThat(corefile()).doesNotContain("fashion.");
    await("nginx no longer routes the job").atMost(Duration.ofSeconds(30))
        .until(() -> flotilla.ingress.routes().keySet().stream().noneMatch(h -> h.startsWith("fashion.")));
    // nginx logs a passed-through session when it ends: now every party's connections have ended
    String access = flotilla.ingress.streamAccessLog();
    TreeSet<String> clients = new TreeSet<>();
    access.lines().filter(l -> l.contains("sni=\"" + SERVER_HOST + "\"") && !l.contains(" received=0 "))
        .forEach(l -> clients.add(l.substring(0, l.indexOf(' '))));
    assertThat(clients).as("pods that sent bytes to %s through nginx, from its stream log:\n%s", SERVER_HOST, access)
        .containsAll(partyIps);
  }

  // ---------------------------------------------------------------- helpers

  static String ns() {
    return FlotillaOnNode.JOB_NAMESPACE;
  }

  Pod pod(String job) {
    return client.pods().inNamespace(ns()).withName(job).get();
  }

  IflearnerJob job(String name) {
    return client.resources(IflearnerJob.class).inNamespace(ns()).withName(name).get();
  }

  static String phase(Pod pod) {
    return pod == null || pod.getStatus() == null ? null : pod.getStatus().getPhase();
  }

  static String phaseOf(IflearnerJob job) {
    return job == null || job.getStatus() == null ? null : job.getStatus().getPhase();
  }

  List<Event> events(Pod pod) {
    return client.v1().events().inNamespace(ns()).withField("involvedObject.uid", pod.getMetadata().getUid()).list().getItems();
  }

  /** The aggregator's own count of completed rounds, scraped from its metrics port like Prometheus would. */
  OptionalDouble roundsCompleted() {
    Pod server = pod(SERVER);
    if (server == null || server.getStatus().getPodIP() == null) {
      return OptionalDouble.empty();
    }
    return PrometheusScrape.sum(server.getStatus().getPodIP(), SERVER_METRICS_PORT, ServerMetrics.ROUNDS_COMPLETED);
  }

  String serverLog() {
    return client.pods().inNamespace(ns()).withName(SERVER).getLog();
  }

  String corefile() {
    return client.configMaps().inNamespace("kube-system").withName("coredns").get().getData().get("Corefile");
  }

  /** kind/name -> uid of every object labelled as a child of one of the sample's jobs. */
  Map<String, String> children() {
    Map<String, String> out = new TreeMap<>();
    String selector = INSTANCE + " in (" + String.join(",", JOBS) + ")";
    List<List<? extends HasMetadata>> all = List.of(
        client.pods().inNamespace(ns()).withLabelSelector(selector).list().getItems(),
        client.services().inNamespace(ns()).withLabelSelector(selector).list().getItems(),
        client.network().v1().ingresses().inNamespace(ns()).withLabelSelector(selector).list().getItems(),
        client.secrets().inNamespace(ns()).withLabelSelector(selector).list().getItems(),
        client.configMaps().inNamespace(ns()).withLabelSelector(selector).list().getItems(),
        client.network().v1().networkPolicies().inNamespace(ns()).withLabelSelector(selector).list().getItems());
    for (List<? extends HasMetadata> items : all) {
      for (HasMetadata o : items) {
        out.put(o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getUid());
      }
    }
    return out;
  }

  static String loadAverage() {
    try {
      String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
