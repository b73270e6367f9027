package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged server as a real process on a state directory whose checkpoint cannot be trusted:
 * it must refuse to start (exit 1, one line naming the file and the problem), never open its port,
 * and never replace the checkpoint with a fresh job.
 */
class CorruptCheckpointIT {

  @TempDir
  Path dir;

  private final List<Process> processes = new ArrayList<>();
  private Path server;

  @BeforeEach
  void certificates() {
    server = new TestPki(dir, "ckpt-job").serverDir();
  }

  @AfterEach
  void cleanUp() {
    processes.forEach(Process::destroyForcibly);
  }

  private record Exit(int code, String output) {}

  private Exit run(Path stateDir, int port) throws Exception {
    Path jar = Path.of("target", "aggregator-server.jar").toAbsolutePath();
    Path log = dir.resolve("server-" + port + ".log");
    assertThat(jar).as("run after `package`").exists();
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-jar", jar.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1",
        "--cert", server.resolve("tls.crt").toString(), "--key", server.resolve("tls.key").toString(),
        "--ca", server.resolve("ca.crt").toString(), "--job-id", "ckpt-job", "--rounds", "3", "--model", "cnn",
        "--state-dir", stateDir.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    boolean exited = p.waitFor(60, TimeUnit.SECONDS);
    String output = Files.readString(log);
    assertThat(exited).as("server exited; output:%n%s", output).isTrue();
    return new Exit(p.exitValue(), output);
  }

  /** Format 1 with a global model whose tensor count says 2^31-1, and a CRC that does not match. */
  private static byte[] hugeTensorCount() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write("FLOTILLA-CKPT".getBytes(StandardCharsets.US_ASCII));
    out.writeInt(1);
    byte[] json = "{\"job_id\":\"ckpt-job\",\"model\":\"cnn\",\"strategy\":\"fedavg\"}".getBytes(StandardCharsets.UTF_8);
    out.writeInt(json.length);
    out.write(json);
    out.writeInt(Integer.MAX_VALUE);
    out.writeInt(1);
    out.writeLong(0xdeadbeefL);
    return bytes.toByteArray();
  }

  @Test
  @DisplayName("a checkpoint whose tensor count says 2^31-1 stops the server with exit 6 (bad input) and a line naming the file "
      + "and the field; the port never opens and the file stays as it was")
  void corruptCheckpointStopsTheServer() throws Exception {
    Path stateDir = Files.createDirectories(dir.resolve("state"));
    Path checkpoint = stateDir.resolve("checkpoint.bin");
    byte[] corrupt = hugeTensorCount();
    Files.write(checkpoint, corrupt);
    int port = FreePorts.next();

    Exit exit = run(stateDir, port);

    assertThat(exit.code()).as(exit.output()).isEqualTo(6);
    assertThat(exit.output()).contains("server: checkpoint " + checkpoint
        + " is truncated or corrupt: the global model declares 2147483647 tensors");
    assertThat(exit.output()).doesNotContain("OutOfMemoryError").doesNotContain("new job");
    assertThat(Files.readAllBytes(checkpoint)).isEqualTo(corrupt);
    try (Stream<Path> files = Files.list(stateDir)) {
      // no checkpoint of a fresh job was started next to it
      assertThat(files.map(f -> f.getFileName().toString())).noneMatch(f -> f.contains("checkpoint") && !f.equals("checkpoint.bin"));
    }
    assertThat(listening(port)).as("port %d", port).isFalse();
  }

  @Test
  @DisplayName("a checkpoint that is a dangling symbolic link stops the server instead of starting the job over")
  void danglingCheckpointLinkStopsTheServer() throws Exception {
    Path stateDir = Files.createDirectories(dir.resolve("state"));
    Path checkpoint = stateDir.resolve("checkpoint.bin");
    Files.createSymbolicLink(checkpoint, dir.resolve("unmounted-volume").resolve("checkpoint.bin"));

    Exit exit = run(stateDir, FreePorts.next());

    assertThat(exit.code()).as(exit.output()).isEqualTo(6);
    assertThat(exit.output()).contains("server: checkpoint " + checkpoint + " cannot be read");
    assertThat(Files.isSymbolicLink(checkpoint)).isTrue();
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
