package dev.flotilla.controller.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.FreePorts;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("the controller's probe and metrics endpoints over HTTP")
class HealthServerTest {

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("/healthz answers 200, /readyz follows readiness (503 then 200), /metrics serves the controller's Prometheus metrics")
  void probesAndMetrics() throws Exception {
    AtomicBoolean ready = new AtomicBoolean(false);
    ControllerMetrics metrics = new ControllerMetrics(new PrometheusRegistry());
    metrics.setLeader(true);
    metrics.reconciles.labelValues("success").inc();
    try (HealthServer server = new HealthServer("127.0.0.1", FreePorts.next(),
        () -> ready.get() ? new Readiness(true, "ready: leader") : new Readiness(false, "not ready: informers not synced yet"),
        metrics.registry())) {
      HttpResponse<String> healthz = get(server.port(), "/healthz");
      assertThat(healthz.statusCode()).isEqualTo(200);
      assertThat(healthz.body()).isEqualTo("ok\n");

      HttpResponse<String> notReady = get(server.port(), "/readyz");
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body()).isEqualTo("not ready: informers not synced yet\n");
      ready.set(true);
      HttpResponse<String> readyz = get(server.port(), "/readyz");
      assertThat(readyz.statusCode()).isEqualTo(200);
      assertThat(readyz.body()).isEqualTo("ready: leader\n");

      HttpResponse<String> scrape = get(server.port(), "/metrics");
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
      assertThat(scrape.body()).contains(
          ControllerMetrics.LEADER + " 1.0",
          ControllerMetrics.RECONCILES + "{result=\"success\"} 1.0",
          "# TYPE " + ControllerMetrics.RECONCILE_DURATION + " histogram");
    }
  }
}
