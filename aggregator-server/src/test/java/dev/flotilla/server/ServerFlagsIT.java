package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 11, finding 7: start-up flags of the server jar, with real certificates. */
class ServerFlagsIT {

  @TempDir
  Path dir;

  @Test
  @DisplayName("the server jar refuses a --state-dir that is a file at start-up: exit 2 (usage), one line naming the flag")
  void stateDirThatIsAFile() throws Exception {
    TestPki pki = new TestPki(dir, "flags-job");
    Path file = Files.writeString(dir.resolve("state-file"), "not a directory");
    try (ServerProcess server = ServerProcess.start(dir.resolve("server.log"), List.of(), pki.server(),
        "--port", Integer.toString(FreePorts.next()), "--bind", "127.0.0.1", "--state-dir", file.toString())) {
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).as("the server exits at start-up").isTrue();
      assertThat(server.process().exitValue()).isEqualTo(2);
      assertThat(server.log()).contains("server: --state-dir " + file + " is not a directory");
      assertThat(Files.readString(file)).isEqualTo("not a directory");
    }
  }

  @Test
  @DisplayName("the server jar refuses a hostile --initial-model at start-up: exit 6 (bad input), one line naming the file and the problem")
  void hostileInitialModel() throws Exception {
    TestPki pki = new TestPki(dir, "flags-job");
    byte[] header = "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Path model = Files.write(dir.resolve("init.safetensors"), java.nio.ByteBuffer.allocate(8 + header.length + 4)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(header.length).put(header).array());
    try (ServerProcess server = ServerProcess.start(dir.resolve("server.log"), List.of(), pki.server(),
        "--port", Integer.toString(FreePorts.next()), "--bind", "127.0.0.1", "--state-dir", dir.resolve("state").toString(),
        "--initial-model", model.toString())) {
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).as("the server exits at start-up").isTrue();
      assertThat(server.process().exitValue()).isEqualTo(6);
      assertThat(server.log()).contains("server: model file " + model + ": tensor 'w' has dtype U8, which Flotilla "
          + "does not support (supported: F32, F16, BF16, F64, I64, I32)");
    }
  }
}
