package dev.flotilla.e2e.cluster;

import static dev.flotilla.testing.RealServer.NGINX;
import static dev.flotilla.testing.RealServer.SINGLE_NODE_CLUSTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.SingleNodeCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * iflearner-operator's README manifests, applied unchanged on the real node: the controller serves
 * them, the kubelet gets their pods, and the one thing this machine cannot do (pull
 * {@code ghcr.io/iflytek/iflearner}: no registry is reachable) is said plainly in the job's status and Events.
 */
@RequiresRealServers({SINGLE_NODE_CLUSTER, NGINX})
@ExtendWith(SingleNodeCluster.Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("config/samples/iflearner (iflearner-operator's README) on the single-node cluster")
class IflearnerManifestsClusterIT {

  static final String SAMPLES = "iflearner";
  static final List<String> JOBS = List.of("iflearnerjob-server", "iflearnerjob-client1", "iflearnerjob-client2");
  static final String IMAGE = "ghcr.io/iflytek/iflearner:v0.1.0";
  static final Set<String> KUBELET_PULL_REASONS = Set.of("ErrImagePull", "ImagePullBackOff");
  static final Duration WAIT = Duration.ofMinutes(3);

  KubernetesClient client;
  FlotillaOnNode flotilla;

  @BeforeAll
  void install(SingleNodeCluster cluster, @TempDir Path work) {
    client = cluster.newClient();
    flotilla = FlotillaOnNode.install(cluster, client, work);
  }

  @AfterAll
  void uninstall() {
    if (flotilla != null) {
      flotilla.deleteSamples(SAMPLES);
      flotilla.close();
    }
    if (client != null) {
      client.close();
    }
  }

  @Test
  @DisplayName("each job's pod is scheduled on the node; its image cannot be pulled here, and the job's PodReady condition "
      + "and a Warning Event on the job say so, naming the image")
  void podsScheduledPullFailureReported() {
    String out = flotilla.applySamples(SAMPLES);
    assertThat(out).contains("iflearnerjob.git.iflytek.com/iflearnerjob-server created");

    for (String name : JOBS) {
      await(name + ": the kubelet tried to pull").atMost(WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> {
        Pod pod = client.pods().inNamespace(FlotillaOnNode.JOB_NAMESPACE).withName(name).get();
        return pod != null && pod.getStatus().getContainerStatuses() != null && pod.getStatus().getContainerStatuses().stream()
            .anyMatch(s -> s.getState().getWaiting() != null && KUBELET_PULL_REASONS.contains(s.getState().getWaiting().getReason()));
      });
      Pod pod = client.pods().inNamespace(FlotillaOnNode.JOB_NAMESPACE).withName(name).get();
      assertThat(pod.getSpec().getNodeName()).as(name + " scheduled").isEqualTo(SingleNodeCluster.NODE_NAME);
      assertThat(pod.getStatus().getConditions()).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo("PodScheduled");
        assertThat(c.getStatus()).isEqualTo("True");
      });
      ContainerStatus container = pod.getStatus().getContainerStatuses().get(0);
      assertThat(container.getImage()).isEqualTo(IMAGE);
      assertThat(container.getState().getRunning()).isNull();

      await(name + ": status and Event say the image cannot be pulled").atMost(WAIT).pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> {
            IflearnerJob job = client.resources(IflearnerJob.class).inNamespace(FlotillaOnNode.JOB_NAMESPACE).withName(name).get();
            assertThat(job.getStatus().getPhase()).isEqualTo("Pending");
            Condition podReady = job.getStatus().getConditions().stream().filter(c -> c.getType().equals("PodReady"))
                .findFirst().orElseThrow();
            assertThat(podReady.getStatus()).isEqualTo("False");
            assertThat(podReady.getReason()).isEqualTo("ImagePullFailed");
            assertThat(podReady.getMessage()).contains("cannot pull image " + IMAGE, name);
            assertThat(jobEvents(job)).anySatisfy(e -> {
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getReason()).isEqualTo("ImagePullFailed");
              assertThat(e.getMessage()).contains(IMAGE);
            });
          });
    }
  }

  List<Event> jobEvents(IflearnerJob job) {
    return client.v1().events().inNamespace(FlotillaOnNode.JOB_NAMESPACE)
        .withField("involvedObject.uid", job.getMetadata().getUid()).list().getItems();
  }
}
