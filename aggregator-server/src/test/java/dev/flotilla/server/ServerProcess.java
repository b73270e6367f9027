package dev.flotilla.server;

import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.tensor.FloatKernels;
import dev.flotilla.protocol.tls.TlsFiles;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The packaged server jar (target/aggregator-server.jar) as a process of its own, its output in a log file. */
final class ServerProcess implements AutoCloseable {

  private final Process process;
  private final Path log;

  private ServerProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code java <jvmOptions> -jar aggregator-server.jar --cert/--key/--ca <server> <args>}. */
  static ServerProcess start(Path log, List<String> jvmOptions, TlsFiles server, String... args) throws IOException {
    // -Dflotilla.server.jar=... runs another build (e.g. the previous one, to show a test fails there)
    Path jar = Path.of(System.getProperty("flotilla.server.jar", "target/aggregator-server.jar")).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run the ITs through `mvn verify` (after `package`)");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add(FloatKernels.VECTOR_API_JVM_OPTION); // as bin/flotilla server and the image
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toString(), "--cert", server.certificateChain().toString(),
        "--key", server.privateKey().toString(), "--ca", server.trustedCa().toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    return new ServerProcess(p, log);
  }

  /**
   * Starts the jar as the aggregator of {@code pki}'s job on 127.0.0.1:{@code port}, its log in
   * {@code dir/server.log} and its state in {@code dir/state}, with these further arguments.
   */
  static ServerProcess onLoopback(Path dir, TestPki pki, int port, String... args) throws IOException {
    return onLoopback(dir, pki, port, List.of(), args);
  }

  /** {@link #onLoopback(Path, TestPki, int, String...)} with these JVM options. */
  static ServerProcess onLoopback(Path dir, TestPki pki, int port, List<String> jvmOptions, String... args)
      throws IOException {
    List<String> all = new ArrayList<>(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--state-dir", dir.resolve("state").toString()));
    all.addAll(List.of(args));
    return start(dir.resolve("server.log"), jvmOptions, pki.server(), all.toArray(String[]::new));
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  Process process() {
    return process;
  }

  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Waits until the health service answers SERVING on this channel. On a loaded machine a JVM can take over a
   * minute to serve, hence 3 minutes; when it does not, the process is stopped here, since the test that
   * started it never gets a handle to close (an orphan server only adds to the load).
   */
  void awaitServing(ManagedChannel channel) {
    try {
      await().atMost(Duration.ofMinutes(3))
          .failFast("the server exited; see " + log, () -> !process.isAlive())
          .until(() -> serving(channel));
    } catch (RuntimeException | Error e) {
      try {
        close();
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      throw e;
    }
  }

  /** Whether the health service answers SERVING within 5 s. */
  static boolean serving(ManagedChannel channel) {
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus() == HealthCheckResponse.ServingStatus.SERVING;
    } catch (io.grpc.StatusRuntimeException e) {
      return false;
    }
  }

  /** The process's peak resident set size (VmHWM of /proc/PID/status), in KiB. */
  long peakRssKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("no VmHWM in /proc/" + process.pid() + "/status");
  }

  /** Stops the server and keeps its log in target/it-logs/ (the test's temporary directory goes away). */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    try {
      Path kept = Files.createDirectories(Path.of("target", "it-logs"))
          .resolve(log.getParent().getFileName() + "-" + log.getFileName());
      Files.copy(log, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      // the log is a convenience for debugging; the test's outcome does not depend on it
    }
  }
}
