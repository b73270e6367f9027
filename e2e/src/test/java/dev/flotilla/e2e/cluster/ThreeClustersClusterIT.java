package dev.flotilla.e2e.cluster;

import static dev.flotilla.testing.SingleNodeCluster.BUSYBOX_IMAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.flotilla.testing.NamedCluster;
import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three independent clusters on this machine ({@code cluster.sh --name}), one per organisation: each
 * runs pods on its own node, reaches its own API server only, and every pod reaches the other
 * organisations' addresses and pods; taking them all down leaves the machine as it was.
 */
@RequiresRealServers(RealServer.SINGLE_NODE_CLUSTER)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("three named clusters (cluster.sh --name) side by side on one machine")
class ThreeClustersClusterIT {

  static final List<String> NAMES = List.of("coordinator", "hospital-a", "hospital-b");
  static final Duration POD_TIMEOUT = Duration.ofMinutes(3);
  /** The kubelet collects container garbage (and unknown pods' log directories) once a minute. */
  static final Duration KUBELET_GC_PERIOD = Duration.ofMinutes(1);

  String machineBefore;
  final Map<String, NamedCluster> clusters = new LinkedHashMap<>();
  final Map<String, KubernetesClient> clients = new LinkedHashMap<>();
  Instant firstPodsStarted;

  @BeforeAll
  void upThree() {
    machineBefore = MachineState.capture();
    List<CompletableFuture<NamedCluster>> starting = new ArrayList<>();
    NAMES.forEach(name -> starting.add(CompletableFuture.supplyAsync(() -> NamedCluster.up(name))));
    starting.forEach(f -> {
      NamedCluster c = f.join();
      clusters.put(c.name(), c);
      clients.put(c.name(), c.newClient());
    });
  }

  @AfterAll
  void downIfLeft() {
    clients.values().forEach(KubernetesClient::close);
    NAMES.forEach(NamedCluster::down);
  }

  @Test
  @Order(1)
  @DisplayName("each cluster has one Ready node of its own, and a distinct address")
  void oneNodeEach() {
    for (NamedCluster c : clusters.values()) {
      List<Node> nodes = clients.get(c.name()).nodes().list().getItems();
      assertThat(nodes).as(c.name()).extracting(n -> n.getMetadata().getName()).containsExactly(c.nodeName());
      assertThat(nodes.get(0).getStatus().getConditions()).as(c.name() + " Ready").anySatisfy(condition -> {
        assertThat(condition.getType()).isEqualTo("Ready");
        assertThat(condition.getStatus()).isEqualTo("True");
      });
      assertThat(c.address()).matches("10\\.220\\.0\\.[1-8]");
    }
    assertThat(clusters.values().stream().map(NamedCluster::address).distinct()).hasSize(NAMES.size());
  }

  @Test
  @Order(2)
  @DisplayName("a pod in each cluster runs, on its own pod network, and reads its own API server (its ServiceAccount token, "
      + "which no other cluster accepts) through the kubernetes Service")
  void podsRunAndReachTheirOwnApiServer() {
    firstPodsStarted = Instant.now();
    for (String name : NAMES) {
      createPod(name, busyboxPod("own-api", "echo \"cluster " + name + "\"; "
          + "wget -q -O - --no-check-certificate --header \"Authorization: Bearer $(cat "
          + "/var/run/secrets/kubernetes.io/serviceaccount/token)\" "
          + "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api"));
    }
    List<String> podNetworks = new ArrayList<>();
    for (String name : NAMES) {
      assertThat(awaitCompletion(name, "own-api")).as(name + ": " + logOf(name, "own-api")).isEqualTo("Succeeded");
      assertThat(logOf(name, "own-api")).startsWith("cluster " + name + "\n").contains("\"kind\": \"APIVersions\"");
      Pod pod = clients.get(name).pods().inNamespace("default").withName("own-api").get();
      assertThat(pod.getSpec().getNodeName()).isEqualTo(clusters.get(name).nodeName());
      String ip = pod.getStatus().getPodIP();
      podNetworks.add(ip.substring(0, ip.indexOf('.', ip.indexOf('.') + 1)));
    }
    assertThat(podNetworks).as("pod networks (first two octets)").doesNotHaveDuplicates();
  }

  @Test
  @Order(3)
  @DisplayName("pods of both hospital clusters reach the coordinator's address (a server on the host) and a coordinator pod "
      + "by its IP")
  void podsReachTheOtherOrganisations() throws Exception {
    NamedCluster coordinator = clusters.get("coordinator");
    HttpServer host = HttpServer.create(new InetSocketAddress(coordinator.address(), 0), 0);
    host.createContext("/", exchange -> {
      byte[] body = ("organisation address of coordinator, asked by " + exchange.getRemoteAddress().getAddress()
          .getHostAddress() + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    host.start();
    try {
      createPod("coordinator", busyboxPod("web",
          "mkdir -p /www && echo \"served by a coordinator pod\" > /www/index.html && exec httpd -f -p 8080 -h /www")
          .editSpec().editFirstContainer()
          .withNewReadinessProbe().withNewTcpSocket().withNewPort(8080).endTcpSocket().withPeriodSeconds(1).endReadinessProbe()
          .endContainer().endSpec());
      await("coordinator web pod ready").atMost(POD_TIMEOUT).until(() -> {
        Pod p = clients.get("coordinator").pods().inNamespace("default").withName("web").get();
        return p != null && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
      });
      String webIp = clients.get("coordinator").pods().inNamespace("default").withName("web").get().getStatus().getPodIP();
      String hostUrl = "http://" + coordinator.address() + ":" + host.getAddress().getPort() + "/";
      for (String name : List.of("hospital-a", "hospital-b")) {
        createPod(name, busyboxPod("reach", "wget -q -O - " + hostUrl + " && wget -q -O - http://" + webIp + ":8080/"));
      }
      for (String name : List.of("hospital-a", "hospital-b")) {
        assertThat(awaitCompletion(name, "reach")).as(name + ": " + logOf(name, "reach")).isEqualTo("Succeeded");
        String podIp = clients.get(name).pods().inNamespace("default").withName("reach").get().getStatus().getPodIP();
        assertThat(logOf(name, "reach")).isEqualTo("organisation address of coordinator, asked by " + podIp + "\n"
            + "served by a coordinator pod\n");
      }
    } finally {
      host.stop(0);
    }
  }

  @Test
  @Order(4)
  @DisplayName("each cluster's pod logs outlive the other kubelets' garbage collection (each kubelet has its own /var/log/pods)")
  void logsSurviveTheOtherKubelets() {
    Instant collected = firstPodsStarted.plus(KUBELET_GC_PERIOD.multipliedBy(2));
    await("two kubelet GC periods after the first pods").atMost(KUBELET_GC_PERIOD.multipliedBy(3))
        .until(() -> Instant.now().isAfter(collected));
    for (String name : NAMES) {
      assertThat(logOf(name, "own-api")).as(name).startsWith("cluster " + name + "\n");
    }
  }

  @Test
  @Order(5)
  @DisplayName("down of every cluster leaves no process, iptables rule, link, address, mount or cgroup of theirs")
  void downLeavesTheMachineClean() {
    clients.values().forEach(KubernetesClient::close);
    clients.clear();
    NAMES.forEach(NamedCluster::down);
    assertThat(MachineState.capture()).isEqualTo(machineBefore);
  }

  // ---------------------------------------------------------------- helpers

  static PodBuilder busyboxPod(String name, String script) {
    return new PodBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withRestartPolicy("Never").withTerminationGracePeriodSeconds(1L)
        .addNewContainer().withName("main").withImage(BUSYBOX_IMAGE).withImagePullPolicy("Never")
        .withCommand("/bin/sh", "-c", script).endContainer().endSpec();
  }

  void createPod(String cluster, PodBuilder pod) {
    KubernetesClient client = clients.get(cluster);
    // the controller-manager gives the namespace its default ServiceAccount; pods wait for it
    await().atMost(POD_TIMEOUT).until(() -> client.serviceAccounts().inNamespace("default").withName("default").get() != null);
    client.pods().inNamespace("default").resource(pod.build()).create();
  }

  String awaitCompletion(String cluster, String pod) {
    KubernetesClient client = clients.get(cluster);
    await(cluster + "/" + pod + " ends").atMost(POD_TIMEOUT).pollInterval(Duration.ofMillis(500)).until(() -> {
      String phase = client.pods().inNamespace("default").withName(pod).get().getStatus().getPhase();
      return "Succeeded".equals(phase) || "Failed".equals(phase);
    });
    return client.pods().inNamespace("default").withName(pod).get().getStatus().getPhase();
  }

  String logOf(String cluster, String pod) {
    return clients.get(cluster).pods().inNamespace("default").withName(pod).getLog();
  }

  /** What the named clusters add to the machine, as text to compare before and after. */
  static final class MachineState {
    static String capture() {
      return ProcessRun.run(Path.of("."), Duration.ofMinutes(1), Map.of(), List.of("sh", "-c", String.join("; ",
          "iptables-save | grep -E 'KUBE-|CNI-|FLOTILLA-|flotilla-' | sed 's/\\[[0-9:]*\\]//' || true",
          "ip -br link | grep -E '^(flcni|veth)' || true",
          "ip -4 -br addr show dev lo",
          "grep -E ' (/var/lib/flotilla/cluster[s]|/run/flotilla-cluster[-]|/var/log/pods|/var/log/containers|/run/netns)' /proc/mounts"
              + " || true",
          "ls -d /sys/fs/cgroup/*/flotilla-* 2>/dev/null || true",
          // (the brackets here and above keep this shell's own command line from matching)
          "grep -l -s -E '/var/lib/flotilla/cluster[s]/|/run/flotilla-cluster[-]' /proc/[0-9]*/cmdline | sed 's|/cmdline||' || true")))
          .requireSuccess();
    }
  }
}
