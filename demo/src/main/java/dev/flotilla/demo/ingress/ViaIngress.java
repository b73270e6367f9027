package dev.flotilla.demo.ingress;

import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.demo.FederationPki;
import dev.flotilla.demo.LocalFederation;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * {@code bin/flotilla demo --via-ingress}: puts a real nginx, configured from the controller's
 * passthrough Ingress for the job, in front of the demo's aggregator, so the parties dial
 * {@code <job>.server.<domain>} through it as they would through ingress-nginx in a cluster.
 */
public final class ViaIngress implements AutoCloseable {

  private final NginxProcess nginx;

  private ViaIngress(NginxProcess nginx) {
    this.nginx = nginx;
  }

  /**
   * Renders the configuration into {@code <federation dir>/ingress}, starts nginx on a free loopback
   * port and routes the federation's parties through it. Call before the federation starts.
   */
  public static ViaIngress start(LocalFederation federation, PrintWriter out) {
    FederationPki pki = federation.pki();
    String host = pki.serverName();
    String jobId = host.substring(0, host.indexOf('.'));
    Ingress ingress = ServerIngress.forJob(jobId, FederationPki.DOMAIN, TlsMode.PASSTHROUGH, federation.port());
    Path prefix = federation.directory().resolve("ingress");
    int port = freeLoopbackPort();
    String config = NginxIngressConfig.builder(prefix, port)
        .ingress(ingress)
        .backend(host, "127.0.0.1:" + federation.port())
        .build()
        .render();
    NginxProcess nginx = NginxProcess.start(prefix, config, port, Duration.ofSeconds(20));
    federation.routePartiesThrough(nginx.address());
    out.printf(Locale.ROOT, "  ingress       nginx (pid %d) on %s, Ingress %s/%s passthrough: SNI %s -> aggregator 127.0.0.1:%d%n",
        nginx.pid(), nginx.address(), ingress.getMetadata().getNamespace(), ingress.getMetadata().getName(), host,
        federation.port());
    out.printf(Locale.ROOT, "                config %s, logs %s%n", prefix.resolve("nginx.conf"), prefix.resolve("logs"));
    out.flush();
    return new ViaIngress(nginx);
  }

  public NginxProcess nginx() {
    return nginx;
  }

  @Override
  public void close() {
    nginx.close();
  }

  private static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }
}
