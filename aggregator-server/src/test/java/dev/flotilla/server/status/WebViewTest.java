package dev.flotilla.server.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.status.StatusView;
import dev.flotilla.server.metrics.ServerMetrics;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("WebView: the metrics port serves the job's page, its two files and status.json, read-only, beside /metrics")
class WebViewTest {

  private final JobStatus status = TerminationMessageTest.finished();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private HTTPServer server;

  @BeforeEach
  void start() throws IOException {
    ServerMetrics metrics = new ServerMetrics();
    metrics.roundsCompleted(2);
    server = WebView.serve("127.0.0.1", 0, metrics.registry(), new RecentStatus(() -> status, Clock.systemUTC()));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getPort() + path))
        .method(method, method.equals("POST") || method.equals("PUT")
            ? HttpRequest.BodyPublishers.ofString("{}") : HttpRequest.BodyPublishers.noBody())
        .timeout(Duration.ofSeconds(10)).build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("GET / is the page, under the Content-Security-Policy that allows its own files only")
  void page() throws Exception {
    HttpResponse<String> page = send("GET", "/");

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(StatusView.LIVE_POLICY);
    assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(page.body()).isEqualTo(new String(StatusView.asset("").orElseThrow().bytes(), StandardCharsets.UTF_8));
    assertThat(send("GET", "/index.html").body()).isEqualTo(page.body());
    assertThat(send("GET", "/view.js").headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
    assertThat(send("GET", "/view.css").headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
  }

  @Test
  @DisplayName("GET /status.json is the status file's document of the job, never cached; HEAD has its length and no body")
  void status() throws Exception {
    HttpResponse<String> json = send("GET", "/status.json");

    assertThat(json.statusCode()).isEqualTo(200);
    assertThat(json.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    assertThat(json.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(StatusJson.read(json.body())).isEqualTo(status);
    HttpResponse<String> head = send("HEAD", "/status.json");
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.headers().firstValue("Content-Length"))
        .hasValue(Integer.toString(json.body().getBytes(StandardCharsets.UTF_8).length));
  }

  @Test
  @DisplayName("other methods get 405 naming GET and HEAD; other paths 404, whatever their dots or slashes")
  void readOnly() throws Exception {
    for (String method : List.of("POST", "PUT", "DELETE", "OPTIONS")) {
      HttpResponse<String> refused = send(method, "/status.json");
      assertThat(refused.statusCode()).as(method).isEqualTo(405);
      assertThat(refused.headers().firstValue("Allow")).as(method).hasValue("GET, HEAD");
    }
    for (String path : List.of("/status.json/", "/view.js/", "/x/view.js", "/%2e%2e/view.js", "/StatusView.class",
        "/dev/flotilla/protocol/status/view/view.js", "/favicon.ico")) {
      HttpResponse<String> missing = send("GET", path);
      assertThat(missing.statusCode()).as(path).isEqualTo(404);
      assertThat(missing.headers().firstValue("Content-Security-Policy")).as(path).hasValue(StatusView.LIVE_POLICY);
    }
  }

  @Test
  @DisplayName("a raw request for ../ is refused with 404 too (no file outside the view is ever read)")
  void rawDotDot() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write("GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(answer).startsWith("HTTP/1.1 404").doesNotContain("root:");
    }
  }

  @Test
  @DisplayName("/metrics is still Prometheus's")
  void metrics() throws Exception {
    HttpResponse<String> metrics = send("GET", "/metrics");

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("flotilla_rounds_completed 2.0");
  }
}
