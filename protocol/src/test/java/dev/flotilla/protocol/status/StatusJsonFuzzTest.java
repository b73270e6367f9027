package dev.flotilla.protocol.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;

/**
 * Fuzz harness of the status file reader: a status file is input to the demo, the tests and
 * {@code bin/flotilla status}. Inputs under {@code StatusJsonFuzzTestInputs/} (two files the server
 * wrote before the typed status, and findings) are replayed by every {@code mvn verify};
 * {@code bench/fuzz.sh 300 StatusJson} fuzzes.
 */
class StatusJsonFuzzTest {

  private static final Path DIR = tempDir();

  @FuzzTest
  @DisplayName("any file is read as a status or refused with InvalidStatusException naming the file; what is read "
      + "writes and reads back equal")
  void statusFile(byte[] bytes) throws IOException {
    Path file = DIR.resolve("status.json");
    Files.write(file, bytes);
    JobStatus status;
    try {
      status = StatusJson.readFile(file);
    } catch (InvalidStatusException refused) {
      assertThat(refused.getMessage()).startsWith("status file " + file + " ");
      return;
    }
    assertThat(StatusJson.read(StatusJson.write(status))).isEqualTo(status);
  }

  private static Path tempDir() {
    try {
      Path dir = Files.createTempDirectory("status-fuzz-");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
