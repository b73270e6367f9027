package dev.flotilla.server.status;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.status.StatusView;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The job's web view on the metrics port, beside Prometheus's {@code /metrics}: the page of
 * {@link StatusView} and its two files, and {@code /status.json}, the status file's document
 * ({@link StatusJson#write}). Read-only: GET and HEAD of these four paths, nothing else (405 for other
 * methods, 404 for other paths, no request body read); every answer carries the page's
 * Content-Security-Policy and is not cached.
 */
public final class WebView implements HttpHandler {

  private static final String STATUS = "/" + StatusView.STATUS_PATH;
  private static final String JSON = "application/json; charset=utf-8";
  private static final String TEXT = "text/plain; charset=utf-8";

  private final Supplier<JobStatus> status;
  private JobStatus written;
  private byte[] writtenJson;

  public WebView(Supplier<JobStatus> status) {
    this.status = status;
  }

  /** Prometheus's HTTP server on {@code bind:port} with {@code /metrics} of {@code registry} and this view at {@code /}. */
  public static HTTPServer serve(String bind, int port, PrometheusRegistry registry, RecentStatus status)
      throws IOException {
    return HTTPServer.builder().hostname(bind).port(port).registry(registry).defaultHandler(new WebView(status))
        .buildAndStart();
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Headers headers = exchange.getResponseHeaders();
      headers.set("Content-Security-Policy", StatusView.LIVE_POLICY);
      headers.set("X-Content-Type-Options", "nosniff");
      headers.set("X-Frame-Options", "DENY");
      headers.set("Referrer-Policy", "no-referrer");
      headers.set("Cache-Control", "no-store");
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        headers.set("Allow", "GET, HEAD");
        send(exchange, 405, TEXT, "the web view is read-only: GET or HEAD\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      String path = exchange.getRequestURI().getRawPath();
      if (path.equals(STATUS)) {
        send(exchange, 200, JSON, statusJson());
        return;
      }
      Optional<StatusView.Asset> asset = path.startsWith("/") ? StatusView.asset(path.substring(1)) : Optional.empty();
      if (asset.isPresent()) {
        send(exchange, 200, asset.get().contentType(), asset.get().bytes());
      } else {
        send(exchange, 404, TEXT, "not found: the web view is at /, the status at /status.json, metrics at /metrics\n"
            .getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  /** The document of the recent status, written once per snapshot however many browsers ask. */
  private synchronized byte[] statusJson() {
    JobStatus now = status.get();
    if (now != written) {
      writtenJson = StatusJson.write(now).getBytes(StandardCharsets.UTF_8);
      written = now;
    }
    return writtenJson;
  }

  private static void send(HttpExchange exchange, int code, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
      exchange.sendResponseHeaders(code, -1);
      return;
    }
    exchange.sendResponseHeaders(code, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
