package dev.flotilla.e2e.cluster;

import static dev.flotilla.testing.SingleNodeCluster.NODE_NAME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.SingleNodeCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** bin/lib/cluster.sh on a running cluster: what a second test JVM, or a developer, runs. */
@RequiresRealServers(RealServer.SINGLE_NODE_CLUSTER)
@ExtendWith(SingleNodeCluster.Extension.class)
@DisplayName("cluster.sh up is idempotent")
class ClusterScriptClusterIT {

  private static final Pattern RUNNING = Pattern.compile("(?m)^(\\S+)\\s+running \\(pid (\\d+)\\)$");

  @Test
  @DisplayName("a second up on a healthy cluster keeps every component's process, the node and the kubeconfig")
  void secondUpReusesHealthyCluster(SingleNodeCluster cluster) {
    Map<String, Long> before = runningComponents(cluster);
    String nodeUid;
    try (KubernetesClient client = cluster.newClient()) {
      nodeUid = client.nodes().withName(NODE_NAME).get().getMetadata().getUid();
    }

    String output = cluster.runScript("up").requireSuccess().strip();

    assertThat(output.substring(output.lastIndexOf('\n') + 1)).isEqualTo(cluster.kubeconfig().toString());
    assertThat(before).containsOnlyKeys("containerd", "etcd", "kube-apiserver", "kube-controller-manager",
        "kube-scheduler", "kubelet", "kube-proxy");
    assertThat(runningComponents(cluster)).isEqualTo(before);
    try (KubernetesClient client = cluster.newClient()) {
      assertThat(client.nodes().withName(NODE_NAME).get().getMetadata().getUid()).isEqualTo(nodeUid);
    }
  }

  @Test
  @DisplayName("up after kube-proxy died starts kube-proxy alone, and status reports the cluster healthy again")
  void upRestartsOnlyWhatDied(SingleNodeCluster cluster) {
    Map<String, Long> before = runningComponents(cluster);
    ProcessHandle proxy = ProcessHandle.of(before.get("kube-proxy")).orElseThrow();
    proxy.destroyForcibly();
    await().atMost(Duration.ofSeconds(30)).until(() -> !proxy.isAlive());
    assertThat(cluster.runScript("status").exitCode()).isEqualTo(1);

    cluster.runScript("up").requireSuccess();

    Map<String, Long> after = runningComponents(cluster);
    assertThat(after.get("kube-proxy")).isNotNull().isNotEqualTo(before.get("kube-proxy"));
    Map<String, Long> othersBefore = new HashMap<>(before);
    othersBefore.remove("kube-proxy");
    Map<String, Long> othersAfter = new HashMap<>(after);
    othersAfter.remove("kube-proxy");
    assertThat(othersAfter).isEqualTo(othersBefore);
    assertThat(cluster.runScript("status").exitCode()).isZero();
  }

  /** Component name to pid, from the "name running (pid N)" lines of {@code cluster.sh status}. */
  private static Map<String, Long> runningComponents(SingleNodeCluster cluster) {
    Map<String, Long> pids = new HashMap<>();
    Matcher matcher = RUNNING.matcher(cluster.runScript("status").output());
    while (matcher.find()) {
      pids.put(matcher.group(1), Long.parseLong(matcher.group(2)));
    }
    return pids;
  }
}
