package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateWriterTest {

  @TempDir
  Path dir;

  private StateWriter writer;

  @AfterEach
  void close() throws Exception {
    writer.close();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("callers never wait for the disk: durable writes run in order behind a blocked one, and only the newest "
      + "status is written, after the durable writes queued before it")
  void ordersDurableWritesAndCoalescesStatus() throws Exception {
    Path status = dir.resolve("status.json");
    writer = new StateWriter("jobW", status);
    CountDownLatch release = new CountDownLatch(1);
    List<String> done = new CopyOnWriteArrayList<>();
    writer.submit("a blocked write", () -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      done.add("blocked");
    });
    writer.status(utf8("{\"v\":1}"));
    writer.submit("checkpoint 1", () -> {
      done.add("checkpoint 1, status written: " + Files.exists(status));
    });
    writer.status(utf8("{\"v\":2}"));
    assertThat(done).as("submitting returned while the writer is blocked").isEmpty();
    assertThat(status).doesNotExist();
    release.countDown();
    writer.awaitWritten();
    assertThat(done).as("status 1 is skipped, status 2 comes after checkpoint 1")
        .containsExactly("blocked", "checkpoint 1, status written: false");
    assertThat(Files.readString(status)).isEqualTo("{\"v\":2}");
  }

  @Test
  @DisplayName("a durable write that fails is reported (requireHealthy, awaitWritten) naming what it was; later writes still run")
  void failureIsReported() throws Exception {
    writer = new StateWriter("jobW", null);
    List<String> done = new CopyOnWriteArrayList<>();
    writer.submit("the checkpoint of round 2", () -> {
      throw new IOException("No space left on device");
    });
    writer.submit("round 2's model", () -> done.add("export"));
    assertThatThrownBy(writer::awaitWritten).isInstanceOf(IOException.class)
        .hasMessage("cannot write the checkpoint of round 2: No space left on device");
    assertThatThrownBy(writer::requireHealthy).hasMessageContaining("the checkpoint of round 2");
    assertThat(done).containsExactly("export");
  }

  @Test
  @DisplayName("a status file that cannot be written is logged and leaves the writer healthy")
  void statusFailureIsNotFatal() throws Exception {
    Path blocked = Files.createDirectories(dir.resolve("status.json").resolve("x")).getParent();
    writer = new StateWriter("jobW", blocked);
    writer.status(utf8("{}"));
    writer.awaitWritten();
    writer.requireHealthy();
    assertThat(blocked).isDirectory();
  }

  @Test
  @DisplayName("close writes what is queued first")
  void closeDrains() throws Exception {
    Path status = dir.resolve("status.json");
    writer = new StateWriter("jobW", status);
    writer.status(utf8("{\"last\":true}"));
    writer.close();
    assertThat(Files.readString(status)).isEqualTo("{\"last\":true}");
  }
}
