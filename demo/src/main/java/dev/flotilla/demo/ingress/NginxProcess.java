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

  private final Process process;
  private final Path prefix;
  private final int port;

  private NginxProcess(Process process, Path prefix, int port) {
    this.process = process;
    this.prefix = prefix;
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
    NginxProcess nginx = new NginxProcess(process, dir, port);
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
        throw new IllegalStateException("nginx exited with code " + process.exitValue() + " before listening on 127.0.0.1:"
            + port + ": " + errorLog());
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
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
    throw new IllegalStateException("nginx did not listen on 127.0.0.1:" + port + " within " + timeout + ": " + errorLog());
  }

  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:<port>}, what clients dial. */
  public String address() {
    return "127.0.0.1:" + port;
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
