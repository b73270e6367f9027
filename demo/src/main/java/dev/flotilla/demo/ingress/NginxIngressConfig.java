package dev.flotilla.demo.ingress;

import dev.flotilla.controller.model.NginxAnnotations;
import dev.flotilla.demo.TlsPaths;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLS;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Renders an nginx configuration that does for a set of networking.k8s.io/v1 Ingress objects what
 * ingress-nginx does for them, so the controller's Ingresses can be exercised by a real nginx on
 * one machine. Pure: no I/O; the result is the text of {@code nginx.conf}.
 *
 * <ul>
 *   <li>{@code nginx.ingress.kubernetes.io/ssl-passthrough: "true"}: a {@code stream} server that
 *       reads the SNI ({@code ssl_preread}) and forwards the TLS bytes to the host's backend; a
 *       name no Ingress serves (or no SNI) goes to a unix socket nobody listens on, so nginx
 *       closes the connection.</li>
 *   <li>Otherwise (terminate): an HTTP/2 TLS server per host with the certificate of the Ingress's
 *       {@code spec.tls} secret and {@code grpc_pass} to the backend, with the body size, timeouts,
 *       backend protocol, client-certificate verification ({@code auth-tls-*}) and backend TLS
 *       ({@code proxy-ssl-*}) taken from the annotations as ingress-nginx reads them. A name no
 *       Ingress serves is refused in the handshake ({@code ssl_reject_handshake}).</li>
 * </ul>
 *
 * When both kinds are present, the stream server owns the public port and sends every name that
 * is not passed through to the HTTPS server on an internal port, which is how ingress-nginx
 * combines the two.
 */
public final class NginxIngressConfig {


  /** ingress-nginx's defaults for what an Ingress does not annotate (its ConfigMap defaults). */
  static final String DEFAULT_BODY_SIZE = "1m";
  static final int DEFAULT_PROXY_TIMEOUT_SECONDS = 60;
  static final int DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;
  /**
   * Idle limit of a passed-through connection. ingress-nginx's passthrough proxy has none; nginx
   * stream's default (10 min) would cut a Rounds stream that waits through a long round.
   */
  static final int PASSTHROUGH_IDLE_SECONDS = 3600;

  static final Path DEBIAN_MODULES = Path.of("/usr/lib/nginx/modules");

  private static final Pattern SIZE = Pattern.compile("\\d+[kKmMgG]?");
  private static final Pattern SECONDS = Pattern.compile("\\d+");
  private static final Pattern HOST = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final Path prefix;
  private final String listenAddress;
  private final int listenPort;
  private final Integer internalHttpsPort;
  private final Path modulesDirectory;
  private final List<Ingress> ingresses;
  private final Map<String, String> backends;
  private final Map<String, TlsPaths> secrets;

  private NginxIngressConfig(Builder b) {
    this.prefix = b.prefix;
    this.listenAddress = b.listenAddress;
    this.listenPort = b.listenPort;
    this.internalHttpsPort = b.internalHttpsPort;
    this.modulesDirectory = b.modulesDirectory;
    this.ingresses = List.copyOf(b.ingresses);
    this.backends = Map.copyOf(b.backends);
    this.secrets = Map.copyOf(b.secrets);
  }

  /**
   * @param prefix nginx's prefix directory ({@code -p}): pid file, logs and temporary files go there
   * @param listenPort the loopback port clients dial
   */
  public static Builder builder(Path prefix, int listenPort) {
    return new Builder(prefix, listenPort);
  }

  /** The routes the configuration serves, in Ingress order: one per rule host. */
  public List<Route> routes() {
    List<Route> routes = new ArrayList<>();
    for (Ingress ingress : ingresses) {
      Map<String, String> annotations = annotations(ingress);
      boolean passthrough = "true".equalsIgnoreCase(annotations.getOrDefault(NginxAnnotations.SSL_PASSTHROUGH, "false"));
      for (IngressRule rule : rules(ingress)) {
        String host = rule.getHost();
        if (host == null || host.isBlank()) {
          throw new IllegalArgumentException(ref(ingress) + ": a rule without a host cannot be routed by SNI");
        }
        String name = host.toLowerCase(Locale.ROOT);
        if (!HOST.matcher(name).matches()) {
          throw new IllegalArgumentException(ref(ingress) + ": host '" + name + "' is not a DNS name");
        }
        String backend = backends.get(name);
        if (backend == null) {
          throw new IllegalArgumentException(ref(ingress) + ": no backend address given for host " + name);
        }
        if (routes.stream().anyMatch(r -> r.host().equals(name))) {
          throw new IllegalArgumentException(ref(ingress) + ": host " + name + " is served by two Ingresses");
        }
        routes.add(new Route(ingress, name, passthrough, backend, annotations));
      }
    }
    return routes;
  }

  /** The text of nginx.conf. */
  public String render() {
    List<Route> routes = routes();
    if (routes.isEmpty()) {
      throw new IllegalArgumentException("no Ingress rules to serve");
    }
    List<Route> passthrough = routes.stream().filter(Route::passthrough).toList();
    List<Route> terminate = routes.stream().filter(r -> !r.passthrough()).toList();
    if (!passthrough.isEmpty() && !terminate.isEmpty() && internalHttpsPort == null) {
      throw new IllegalArgumentException("passthrough and terminate Ingresses together need an internal HTTPS port");
    }
    Conf c = new Conf();
    c.line("# Rendered by dev.flotilla.demo.ingress.NginxIngressConfig from " + routes.size() + " Ingress rule(s).");
    if (!passthrough.isEmpty()) {
      c.line("load_module " + modulesDirectory.resolve("ngx_stream_module.so") + ";");
    }
    c.line("worker_processes 1;");
    c.line("pid " + prefix.resolve("nginx.pid") + ";");
    c.line("error_log " + prefix.resolve("logs/error.log") + " notice;");
    c.open("events").line("worker_connections 1024;").close();
    if (!passthrough.isEmpty()) {
      renderStream(c, passthrough, terminate.isEmpty() ? null : loopback(internalHttpsPort));
    }
    if (!terminate.isEmpty()) {
      int port = passthrough.isEmpty() ? listenPort : internalHttpsPort;
      renderHttp(c, terminate, loopbackHost(passthrough.isEmpty() ? listenAddress : "127.0.0.1") + ":" + port);
    }
    return c.toString();
  }

  private void renderStream(Conf c, List<Route> routes, String otherNamesTo) {
    c.open("stream");
    c.line("log_format flotilla '$remote_addr [$time_local] sni=\"$ssl_preread_server_name\" backend=$flotilla_backend "
        + "upstream=$upstream_addr status=$status sent=$bytes_sent received=$bytes_received time=$session_time';");
    c.line("access_log " + prefix.resolve("logs/stream-access.log") + " flotilla;");
    c.open("map $ssl_preread_server_name $flotilla_backend");
    for (Route route : routes) {
      c.line(route.host() + " " + route.backend() + ";  # " + ref(route.ingress()));
    }
    c.line("default " + (otherNamesTo != null ? otherNamesTo : "unix:" + rejectSocket()) + ";");
    c.close();
    c.open("server");
    c.line("listen " + loopbackHost(listenAddress) + ":" + listenPort + ";");
    c.line("ssl_preread on;");
    c.line("proxy_pass $flotilla_backend;");
    c.line("proxy_connect_timeout " + DEFAULT_CONNECT_TIMEOUT_SECONDS + "s;");
    c.line("proxy_timeout " + PASSTHROUGH_IDLE_SECONDS + "s;");
    c.close();
    c.close();
  }

  /** A socket path that is never listened on: connections routed to it are closed by nginx. */
  public Path rejectSocket() {
    return prefix.resolve("no-ingress-serves-this-name.sock");
  }

  private void renderHttp(Conf c, List<Route> routes, String listen) {
    c.open("http");
    c.line("access_log " + prefix.resolve("logs/access.log") + ";");
    for (String temp : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
      c.line(temp + "_temp_path " + prefix.resolve("temp/" + temp) + ";");
    }
    // gRPC streams stay open through a round; HTTP/2 keepalive limits would otherwise cut idle connections.
    c.line("keepalive_timeout " + PASSTHROUGH_IDLE_SECONDS + "s;");
    c.line("keepalive_requests 100000;");
    c.open("server");
    c.line("listen " + listen + " ssl http2 default_server;");
    c.line("ssl_reject_handshake on;");
    c.close();
    for (Route route : routes) {
      renderTerminatingServer(c, route, listen);
    }
    c.close();
  }

  private void renderTerminatingServer(Conf c, Route route, String listen) {
    Ingress ingress = route.ingress();
    Map<String, String> a = route.annotations();
    TlsPaths serverTls = secret(ingress, tlsSecretFor(ingress, route.host()), "spec.tls secret");
    c.line("# " + ref(ingress));
    c.open("server");
    c.line("listen " + listen + " ssl http2;");
    c.line("server_name " + route.host() + ";");
    c.line("ssl_certificate " + serverTls.certificate() + ";");
    c.line("ssl_certificate_key " + serverTls.privateKey() + ";");
    c.line("ssl_protocols TLSv1.2 TLSv1.3;");
    String authTlsSecret = a.get(NginxAnnotations.AUTH_TLS_SECRET);
    if (authTlsSecret != null) {
      TlsPaths clientCa = secret(ingress, authTlsSecret, NginxAnnotations.AUTH_TLS_SECRET);
      String verify = a.getOrDefault(NginxAnnotations.AUTH_TLS_VERIFY_CLIENT, "on");
      if (!List.of("on", "off", "optional", "optional_no_ca").contains(verify)) {
        throw new IllegalArgumentException(ref(ingress) + ": " + NginxAnnotations.AUTH_TLS_VERIFY_CLIENT + " must be on, off, optional or"
            + " optional_no_ca, not '" + verify + "'");
      }
      c.line("ssl_client_certificate " + clientCa.trustedCa() + ";");
      c.line("ssl_verify_client " + verify + ";");
      c.line("ssl_verify_depth " + seconds(ingress, a, NginxAnnotations.AUTH_TLS_VERIFY_DEPTH, 1) + ";");
    }
    c.line("client_max_body_size " + size(ingress, a) + ";");
    String protocol = a.getOrDefault(NginxAnnotations.BACKEND_PROTOCOL, "HTTP").toUpperCase(Locale.ROOT);
    if (!protocol.equals("GRPC") && !protocol.equals("GRPCS")) {
      throw new IllegalArgumentException(ref(ingress) + ": " + NginxAnnotations.BACKEND_PROTOCOL + " must be GRPC or GRPCS for a gRPC"
          + " federation endpoint, not '" + protocol + "'");
    }
    for (HTTPIngressPath path : route.paths()) {
      c.open("location " + location(ingress, path));
      c.line("grpc_connect_timeout " + seconds(ingress, a, NginxAnnotations.PROXY_CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT_SECONDS) + "s;");
      c.line("grpc_send_timeout " + seconds(ingress, a, NginxAnnotations.PROXY_SEND_TIMEOUT, DEFAULT_PROXY_TIMEOUT_SECONDS) + "s;");
      c.line("grpc_read_timeout " + seconds(ingress, a, NginxAnnotations.PROXY_READ_TIMEOUT, DEFAULT_PROXY_TIMEOUT_SECONDS) + "s;");
      if (authTlsSecret != null && "true".equalsIgnoreCase(a.get(NginxAnnotations.AUTH_TLS_PASS_CERTIFICATE))) {
        c.line("grpc_set_header ssl-client-cert $ssl_client_escaped_cert;");
        c.line("grpc_set_header ssl-client-verify $ssl_client_verify;");
      }
      if (protocol.equals("GRPCS")) {
        String proxySecret = a.get(NginxAnnotations.PROXY_SSL_SECRET);
        if (proxySecret != null) {
          TlsPaths upstream = secret(ingress, proxySecret, NginxAnnotations.PROXY_SSL_SECRET);
          c.line("grpc_ssl_certificate " + upstream.certificate() + ";");
          c.line("grpc_ssl_certificate_key " + upstream.privateKey() + ";");
          c.line("grpc_ssl_trusted_certificate " + upstream.trustedCa() + ";");
          c.line("grpc_ssl_verify " + ("off".equalsIgnoreCase(a.get(NginxAnnotations.PROXY_SSL_VERIFY)) ? "off" : "on") + ";");
        }
        c.line("grpc_ssl_server_name on;");
        c.line("grpc_ssl_name " + a.getOrDefault(NginxAnnotations.PROXY_SSL_NAME, route.host()) + ";");
      }
      c.line("grpc_pass " + (protocol.equals("GRPCS") ? "grpcs://" : "grpc://") + route.backend() + ";");
      c.close();
    }
    c.close();
  }

  private static String location(Ingress ingress, HTTPIngressPath path) {
    String p = path.getPath() == null || path.getPath().isBlank() ? "/" : path.getPath();
    if (!p.startsWith("/") || p.chars().anyMatch(ch -> ch == ';' || ch == '{' || ch == '}' || Character.isWhitespace(ch))) {
      throw new IllegalArgumentException(ref(ingress) + ": path '" + p + "' cannot be rendered");
    }
    return "Exact".equals(path.getPathType()) ? "= " + p : p;
  }

  private static String tlsSecretFor(Ingress ingress, String host) {
    List<IngressTLS> tls = ingress.getSpec().getTls();
    if (tls != null) {
      for (IngressTLS entry : tls) {
        if (entry.getHosts() != null && entry.getHosts().stream().anyMatch(h -> h.equalsIgnoreCase(host))
            && entry.getSecretName() != null) {
          return entry.getSecretName();
        }
      }
    }
    throw new IllegalArgumentException(ref(ingress) + ": terminating TLS for " + host
        + " needs a spec.tls entry with that host and a secretName");
  }

  /** A secret named {@code name} or {@code namespace/name}, looked up either way. */
  private TlsPaths secret(Ingress ingress, String name, String what) {
    String namespace = ingress.getMetadata().getNamespace();
    TlsPaths files = secrets.get(name);
    if (files == null && !name.contains("/") && namespace != null) {
      files = secrets.get(namespace + "/" + name);
    }
    if (files == null && name.contains("/")) {
      files = secrets.get(name.substring(name.indexOf('/') + 1));
    }
    if (files == null) {
      throw new IllegalArgumentException(ref(ingress) + ": no files given for secret " + name + " (" + what + ")");
    }
    return files;
  }

  private static String size(Ingress ingress, Map<String, String> a) {
    String value = a.getOrDefault(NginxAnnotations.PROXY_BODY_SIZE, DEFAULT_BODY_SIZE).trim();
    if (!SIZE.matcher(value).matches()) {
      throw new IllegalArgumentException(ref(ingress) + ": " + NginxAnnotations.PROXY_BODY_SIZE + " '" + value
          + "' is not a size like 8m, 512m or 0 (no limit)");
    }
    return value;
  }

  private static int seconds(Ingress ingress, Map<String, String> a, String key, int defaultValue) {
    String value = a.get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!SECONDS.matcher(value.trim()).matches()) {
      throw new IllegalArgumentException(ref(ingress) + ": " + key + " '" + value + "' is not a whole number");
    }
    return Integer.parseInt(value.trim());
  }

  private static Map<String, String> annotations(Ingress ingress) {
    Map<String, String> a = ingress.getMetadata().getAnnotations();
    return a == null ? Map.of() : a;
  }

  private static List<IngressRule> rules(Ingress ingress) {
    if (ingress.getSpec() == null || ingress.getSpec().getRules() == null) {
      return List.of();
    }
    return ingress.getSpec().getRules();
  }

  static String ref(Ingress ingress) {
    return "Ingress " + ingress.getMetadata().getNamespace() + "/" + ingress.getMetadata().getName();
  }

  private static String loopback(int port) {
    return "127.0.0.1:" + port;
  }

  private static String loopbackHost(String address) {
    return address.contains(":") ? "[" + address + "]" : address;
  }

  /** One host of one Ingress and where it goes. */
  public record Route(Ingress ingress, String host, boolean passthrough, String backend, Map<String, String> annotations) {
    List<HTTPIngressPath> paths() {
      for (IngressRule rule : rules(ingress)) {
        if (host.equalsIgnoreCase(rule.getHost()) && rule.getHttp() != null && rule.getHttp().getPaths() != null
            && !rule.getHttp().getPaths().isEmpty()) {
          return rule.getHttp().getPaths();
        }
      }
      return List.of(new HTTPIngressPath());
    }
  }

  public static final class Builder {
    private final Path prefix;
    private final int listenPort;
    private String listenAddress = "127.0.0.1";
    private Integer internalHttpsPort;
    private Path modulesDirectory = DEBIAN_MODULES;
    private final List<Ingress> ingresses = new ArrayList<>();
    private final Map<String, String> backends = new LinkedHashMap<>();
    private final Map<String, TlsPaths> secrets = new LinkedHashMap<>();

    private Builder(Path prefix, int listenPort) {
      this.prefix = Objects.requireNonNull(prefix, "prefix").toAbsolutePath();
      if (listenPort < 1 || listenPort > 65535) {
        throw new IllegalArgumentException("listen port must be in 1..65535, got " + listenPort);
      }
      this.listenPort = listenPort;
    }

    public Builder ingress(Ingress ingress) {
      ingresses.add(Objects.requireNonNull(ingress, "ingress"));
      return this;
    }

    /** Where the Service behind {@code host} is reached, {@code HOST:PORT} (the Endpoints ingress-nginx would use). */
    public Builder backend(String host, String address) {
      if (!address.matches("[^\\s;{}]+:\\d{1,5}")) {
        throw new IllegalArgumentException("backend address for " + host + " must be HOST:PORT, not '" + address + "'");
      }
      backends.put(host.toLowerCase(Locale.ROOT), address);
      return this;
    }

    /** The files of a kubernetes.io/tls secret, by name or namespace/name (tls.crt, tls.key, ca.crt). */
    public Builder secret(String name, TlsPaths files) {
      secrets.put(name, Objects.requireNonNull(files, "files"));
      return this;
    }

    /** Loopback only, unless a test needs another loopback address (e.g. ::1). */
    public Builder listenAddress(String address) {
      if (!address.startsWith("127.") && !address.equals("::1")) {
        throw new IllegalArgumentException("nginx listens on loopback only, not " + address);
      }
      listenAddress = address;
      return this;
    }

    /**
     * Listens on one address of a node instead of loopback: nginx standing in for ingress-nginx in
     * front of a single-node cluster, where pods dial the node's address. An IPv4 literal of one
     * interface (the caller checks that this machine has it); never the wildcard, so nginx is never
     * reachable on every interface by accident.
     */
    public Builder nodeAddress(String address) {
      if (address == null || !IPV4.matcher(address).matches() || address.equals("0.0.0.0")
          || Arrays.stream(address.split("\\.")).anyMatch(octet -> Integer.parseInt(octet) > 255)) {
        throw new IllegalArgumentException("a node address is one IPv4 address of an interface, not " + address);
      }
      listenAddress = address;
      return this;
    }

    /** The port of the HTTPS server when passthrough and terminate Ingresses share the listen port. */
    public Builder internalHttpsPort(int port) {
      internalHttpsPort = port;
      return this;
    }

    public Builder modulesDirectory(Path dir) {
      modulesDirectory = dir;
      return this;
    }

    public NginxIngressConfig build() {
      return new NginxIngressConfig(this);
    }
  }

  /** Indented nginx configuration text. */
  private static final class Conf {
    private final StringBuilder text = new StringBuilder();
    private int depth;

    Conf line(String s) {
      text.append("  ".repeat(depth)).append(s).append('\n');
      return this;
    }

    Conf open(String block) {
      line(block + " {");
      depth++;
      return this;
    }

    Conf close() {
      depth--;
      return line("}");
    }

    @Override
    public String toString() {
      return text.toString();
    }
  }
}
