package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ProgressTarget: which jobs the controller polls for progress, and where")
class ProgressTargetTest {

  private static final JobModel FLOTILLA_SERVER = new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "fl"));

  private static Pod pod(String phase, String ip) {
    return new PodBuilder().withNewMetadata().withName("p").endMetadata().withNewStatus().withPhase(phase).withPodIP(ip)
        .endStatus().build();
  }

  @Test
  @DisplayName("a running Flotilla aggregator in passthrough: its pod's IP and gRPC port, the job host as TLS name, its domain and identity job")
  void runningFlotillaServer() {
    ProgressTarget t = ProgressTarget.of(FLOTILLA_SERVER, pod("Running", "10.88.0.7")).orElseThrow();
    assertThat(t).isEqualTo(new ProgressTarget("fl/fashion-server", "10.88.0.7:8443", "fashion.server.fl.example.org",
        "fl.example.org", "fashion", "fl"));
    assertThat(ProgressTarget.of(FLOTILLA_SERVER, pod("Running", "fd00::7")).orElseThrow().address()).isEqualTo("[fd00::7]:8443");
  }

  @Test
  @DisplayName("nothing to poll: a pod not running, without an IP, no pod, a party, or an iflearner server (TLS ends at the ingress)")
  void nothingToPoll() {
    assertThat(ProgressTarget.of(FLOTILLA_SERVER, pod("Pending", "10.88.0.7"))).isEmpty();
    assertThat(ProgressTarget.of(FLOTILLA_SERVER, pod("Succeeded", "10.88.0.7"))).isEmpty();
    assertThat(ProgressTarget.of(FLOTILLA_SERVER, pod("Running", null))).isEmpty();
    assertThat(ProgressTarget.of(FLOTILLA_SERVER, null)).isEmpty();
    JobModel party = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl"));
    assertThat(ProgressTarget.of(party, pod("Running", "10.88.0.8"))).isEmpty();
    JobModel iflearner = new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "fl"));
    assertThat(ProgressTarget.of(iflearner, pod("Running", "10.88.0.9"))).isEmpty();
  }
}
