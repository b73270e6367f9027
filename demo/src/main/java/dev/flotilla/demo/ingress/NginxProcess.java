package dev.flotilla.demo.ingress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx (the Debian package) as a child process: its own prefix directory holds nginx.conf,
 * the pid file, logs and temporary files; it runs in the foreground ({@code daemon off}) and only
 * listens where the rendered configuration says (loopback). {@link #close()} stops it.
 */
public final class NginxProcess implements AutoCloseable {

  public static final Path DEBIAN_BINARY = Path.of("/usr/sbin/nginx");
  /** What the master logs (at notice level, as the rendered configuration asks) when it takes a new configuration. */
  static final String RECONFIGURING = "reconfiguring";

  private final Process process;
  private final Path prefix;
  private final String host;
  private final int port;

  private NginxProcess(Process process, Path prefix, String host, int port) {
    this.process = process;
    this.prefix = prefix;
    this.host = host;
    this.port = port;
  }

  /** True when this machine has nginx and its stream module where Debian puts them. */
  public static boolean available() {
    return Files.isExecutable(DEBIAN_BINARY)
        && Files.exists(NginxIngressConfig.DEBIAN_MODULES.resolve("ngx_stream_module.so"));
  }

  /**
   * Writes {@code config} to {@code prefix/nginx.conf}, checks it with {@code nginx -t}, starts
   * nginx and waits until {@code port} on loopback accepts connections.
   */
  public static NginxProcess start(Path prefix, String config, int port, Duration timeout) {
    return start(prefix, config, "127.0.0.1", port, timeout);
  }

  /**
   * As {@link #start(Path, String, int, Duration)}, for a configuration that listens on {@code host}
   * (an address of this machine, see {@link NginxIngressConfig.Builder#nodeAddress}).
   */
  public static NginxProcess start(Path prefix, String config, String host, int port, Duration timeout) {
    if (!available()) {
      throw new IllegalStateException("nginx not found: install the Debian packages nginx and libnginx-mod-stream"
          + " (" + DEBIAN_BINARY + ", " + NginxIngressConfig.DEBIAN_MODULES.resolve("ngx_stream_module.so") + ")");
    }
    Path dir = prefix.toAbsolutePath();
    try {
      Files.createDirectories(dir.resolve("logs"));
      Files.createDirectories(dir.resolve("temp"));
      Files.writeString(dir.resolve("nginx.conf"), config, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the nginx configuration in " + dir, e);
    }
    check(dir);
    Process process;
    try {
      process = new ProcessBuilder(command(dir, "-g", "daemon off; master_process on;"))
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("logs/nginx.out").toFile())
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + DEBIAN_BINARY, e);
    }
    NginxProcess nginx = new NginxProcess(process, dir, host, port);
    nginx.awaitListening(timeout);
    return nginx;
  }

  private static List<String> command(Path dir, String... more) {
    List<String> command = new ArrayList<>(List.of(DEBIAN_BINARY.toString(), "-p", dir + "/", "-c",
        dir.resolve("nginx.conf").toString(), "-e", dir.resolve("logs/error.log").toString()));
    command.addAll(List.of(more));
    return command;
  }

  /** Runs {@code nginx -t} on the configuration in {@code dir}; throws with nginx's words if it is refused. */
  static void check(Path dir) {
    try {
      Process test = new ProcessBuilder(command(dir, "-t", "-q")).redirectErrorStream(true).start();
      String output = new String(test.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!test.waitFor(30, TimeUnit.SECONDS) || test.exitValue() != 0) {
        throw new IllegalStateException("nginx refused the rendered configuration " + dir.resolve("nginx.conf")
            + ": " + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + DEBIAN_BINARY + " -t", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking the nginx configuration", e);
    }
  }

  private void awaitListening(Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("nginx exited with code " + process.exitValue() + " before listening on " + address()
            + ": " + errorLog());
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), 200);
        return;
      } catch (IOException notYet) {
        try {
          process.waitFor(100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          close();
          throw new IllegalStateException("interrupted while waiting for nginx", e);
        }
      }
    }
    close();
    throw new IllegalStateException("nginx did not listen on " + address() + " within " + timeout + ": " + errorLog());
  }

  /**
   * Replaces the configuration of the running nginx: writes {@code config}, checks it with
   * {@code nginx -t} (a refused one leaves the running configuration in place and throws), signals
   * the master ({@code nginx -s reload}) and waits until it logged that it reconfigured. Connections
   * in flight stay with the old workers until they close, as in ingress-nginx.
   */
  public void reload(String config, Duration timeout) {
    Path conf = prefix.resolve("nginx.conf");
    Path previous = prefix.resolve("nginx.conf.previous");
    long reconfiguredBefore = errorLog().lines().filter(l -> l.contains(RECONFIGURING)).count();
    try {
      Files.copy(conf, previous, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.writeString(conf, config, StandardCharsets.UTF_8);
      try {
        check(prefix);
      } catch (IllegalStateException refused) {
        Files.copy(previous, conf, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        throw refused;
      }
      Process signal = new ProcessBuilder(command(prefix, "-s", "reload")).redirectErrorStream(true).start();
      String output = new String(signal.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!signal.waitFor(30, TimeUnit.SECONDS) || signal.exitValue() != 0) {
        throw new IllegalStateException("nginx -s reload failed: " + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reload nginx in " + prefix, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reloading nginx", e);
    }
    Instant deadline = Instant.now().plus(timeout);
    while (errorLog().lines().filter(l -> l.contains(RECONFIGURING)).count() <= reconfiguredBefore) {
      if (!process.isAlive() || Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("nginx did not reconfigure within " + timeout + ": " + errorLog());
      }
      try {
        process.waitFor(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for nginx to reload", e);
      }
    }
  }

  public int port() {
    return port;
  }

  /** {@code <host>:<port>} ({@code 127.0.0.1:<port>} unless started on a node address), what clients dial. */
  public String address() {
    return host + ":" + port;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path prefix() {
    return prefix;
  }

  public String errorLog() {
    return read(prefix.resolve("logs/error.log"));
  }

  /** The stream (passthrough) access log: one line per connection with SNI, backend and bytes. */
  public String streamAccessLog() {
    return read(prefix.resolve("logs/stream-access.log"));
  }

  public String accessLog() {
    return read(prefix.resolve("logs/access.log"));
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  /** SIGTERM (nginx's fast shutdown), then SIGKILL after 10 s. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
