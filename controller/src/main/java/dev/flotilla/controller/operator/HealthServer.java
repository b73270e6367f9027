package dev.flotilla.controller.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code /healthz} (the process answers), {@code /readyz} ({@link Readiness}: the API server
 * reachable, and the leader's informers synced or a standby) and {@code /metrics} (Prometheus
 * text) on one port.
 */
public final class HealthServer implements AutoCloseable {

  private final HttpServer server;

  public HealthServer(String bindAddress, int port, Supplier<Readiness> ready, PrometheusRegistry registry) throws IOException {
    server = HttpServer.create(new InetSocketAddress(bindAddress, port), 0);
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "flotilla-health");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/healthz", ex -> respond(ex, 200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8)));
    server.createContext("/readyz", ex -> {
      Readiness r = ready.get();
      respond(ex, r.ready() ? 200 : 503, "text/plain", (r.text() + "\n").getBytes(StandardCharsets.UTF_8));
    });
    PrometheusTextFormatWriter writer = new PrometheusTextFormatWriter(false);
    server.createContext("/metrics", ex -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      writer.write(out, registry.scrape());
      respond(ex, 200, PrometheusTextFormatWriter.CONTENT_TYPE, out.toByteArray());
    });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange ex, int code, String contentType, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(code, body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
