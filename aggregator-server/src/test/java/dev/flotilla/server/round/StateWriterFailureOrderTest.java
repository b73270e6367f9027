package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review of issue 13: the status file never names a round whose checkpoint did not land. */
class StateWriterFailureOrderTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("a status queued behind a checkpoint that failed is not written: the status on disk stays the one of the last durable checkpoint")
  void noStatusAfterAFailedCheckpoint() throws Exception {
    Path status = dir.resolve("status.json");
    StateWriter writer = new StateWriter("jobF", status);
    try {
      writer.status("{\"rounds_completed\":1}".getBytes(StandardCharsets.UTF_8));
      writer.awaitWritten();
      writer.submit("the checkpoint of round 2", () -> {
        throw new IOException("No space left on device");
      });
      writer.status("{\"rounds_completed\":2}".getBytes(StandardCharsets.UTF_8));
      assertThatThrownBy(writer::awaitWritten).hasMessageContaining("the checkpoint of round 2");
      assertThat(Files.readString(status)).isEqualTo("{\"rounds_completed\":1}");
    } finally {
      writer.close();
    }
  }
}
