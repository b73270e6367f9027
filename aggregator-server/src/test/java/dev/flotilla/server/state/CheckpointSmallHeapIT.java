package dev.flotilla.server.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile checkpoint files loaded in a second JVM with a 64 MiB heap ({@link CheckpointLoadProbe}), where an
 * allocation sized by a length field would end in OutOfMemoryError; the in-heap refusals are CheckpointStoreTest's.
 */
class CheckpointSmallHeapIT {

  private static final float[] ONE = {1f};

  @TempDir
  Path dir;

  /** Writes bytes as the checkpoint of a new state directory and returns that directory. */
  private Path stateDir(String name, byte[] bytes) throws IOException {
    Path stateDir = Files.createDirectories(dir.resolve(name));
    Files.write(stateDir.resolve(CheckpointStore.FILE_NAME), bytes);
    return stateDir;
  }

  @Test
  @DisplayName("length and count fields of 2^31-1, 2^30 and negative are refused naming the file and the field, "
      + "in a JVM with a 64 MiB heap (no OutOfMemoryError, no other exception)")
  void hugeLengthFieldsInASmallHeap() throws Exception {
    Map<Path, String> expected = new LinkedHashMap<>();
    expected.put(stateDir("count-max-wrong-crc", CheckpointBytes.header().json(CheckpointBytes.VALID_JSON)
        .integer(Integer.MAX_VALUE).integer(1).withWrongChecksum()),
        "the global model declares 2147483647 tensors");
    expected.put(stateDir("count-max-valid-crc", CheckpointBytes.header().json(CheckpointBytes.VALID_JSON)
        .integer(Integer.MAX_VALUE).integer(1).withChecksum()),
        "the global model declares 2147483647 tensors");
    // 2^30 float32 values are 2^32 bytes: a 32-bit byte count wraps to 0
    expected.put(stateDir("tensor-2^30-wrong-crc", CheckpointBytes.header().json(CheckpointBytes.VALID_JSON)
        .integer(1).integer(1 << 30).integer(0).withWrongChecksum()),
        "tensor 0 of the global model declares 1073741824 float32 values");
    // 2^29+1 values: a 32-bit byte count wraps negative
    expected.put(stateDir("tensor-2^29+1-valid-crc", CheckpointBytes.header().json(CheckpointBytes.VALID_JSON)
        .integer(1).integer((1 << 29) + 1).integer(0).withChecksum()),
        "tensor 0 of the global model declares 536870913 float32 values");
    expected.put(stateDir("metadata-negative", CheckpointBytes.header().integer(-1).integer(0).integer(0)
        .withChecksum()), "the metadata JSON declares -1 bytes");
    expected.put(stateDir("group-count-max", CheckpointBytes.header().json(CheckpointBytes.VALID_JSON).tensors(ONE)
        .integer(Integer.MAX_VALUE).withChecksum()), "the strategy state declares 2147483647 groups");

    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-cp", System.getProperty("java.class.path"), CheckpointLoadProbe.class.getName()));
    expected.keySet().forEach(d -> command.add(d.toString()));
    Process probe = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertThat(probe.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(lines).hasSize(expected.size());
    int i = 0;
    for (Map.Entry<Path, String> e : expected.entrySet()) {
      assertThat(lines.get(i++)).as(e.getKey().getFileName().toString())
          .startsWith("REFUSED checkpoint " + e.getKey().resolve(CheckpointStore.FILE_NAME))
          .contains(e.getValue());
    }
  }
}
