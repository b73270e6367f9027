package dev.flotilla.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.IflearnerJob;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ReconcileLatency: percentiles and the measured jobs")
class ReconcileLatencyTest {

  @Test
  @DisplayName("nearest-rank percentiles: p50 of 1..100 is 50, p99 is 99, p100 the maximum; one value is every percentile")
  void nearestRank() {
    double[] values = new double[100];
    for (int i = 0; i < 100; i++) {
      values[i] = 100 - i;
    }
    assertThat(ReconcileLatency.percentile(values, 50)).isEqualTo(50);
    assertThat(ReconcileLatency.percentile(values, 99)).isEqualTo(99);
    assertThat(ReconcileLatency.percentile(values, 100)).isEqualTo(100);
    assertThat(ReconcileLatency.percentile(new double[] {7}, 50)).isEqualTo(7);
    assertThat(ReconcileLatency.percentile(new double[] {7}, 99)).isEqualTo(7);
  }

  @Test
  @DisplayName("a measured job is a Flotilla server whose pod names a scheduler that does not exist (so it never runs)")
  void jobNeverRuns() {
    IflearnerJob job = new ReconcileLatency(null, "default", Duration.ofSeconds(1)).job("latency-x-3");
    assertThat(job.getSpec().getRole()).isEqualTo(Role.SERVER);
    assertThat(job.getSpec().getHost()).isEqualTo("latency-x-3.server.bench.example.org");
    assertThat(job.getSpec().getSchedulerName()).isEqualTo(ReconcileLatency.NO_SCHEDULER);
    assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).contains("flotilla-server");
  }

  @Test
  @DisplayName("refuses to measure no job")
  void atLeastOneJob() {
    assertThatThrownBy(() -> new ReconcileLatency(null, "default", Duration.ofSeconds(1)).run("x", 0, s -> { }))
        .hasMessageContaining("at least one job");
  }
}
