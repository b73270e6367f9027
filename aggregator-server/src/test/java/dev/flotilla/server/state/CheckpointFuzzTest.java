package dev.flotilla.server.state;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flotilla.server.model.FileModel;
import dev.flotilla.server.model.TestModels;
import dev.flotilla.testing.ScratchDirectories;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;

/**
 * Fuzz harnesses of the checkpoint reader ({@link CheckpointStore#load}). The checksum is verified
 * before parsing, so random bytes rarely get past it: one harness appends the right CRC32 to its
 * input (the parser and its bounds are what it explores), the other takes its input as the whole
 * file (header checks and the diagnosis of a bad checksum). Inputs under
 * {@code CheckpointFuzzTestInputs/} are replayed by every {@code mvn verify}; {@code bench/fuzz.sh}
 * fuzzes; {@link CheckpointSeeds} writes the seeds.
 */
class CheckpointFuzzTest {

  /** Fixed cost of one load: buffers (3 x 64 KiB), channel, Gson's reader; the rest must scale with the file. */
  private static final long FIXED_ALLOCATION = 2 << 20;
  private static final long ALLOCATION_PER_FILE_BYTE = 16;

  private static final Path DIR = stateParent();
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  static {
    // class loading and Gson's reflective adapters are allocated once, not per file
    try {
      CheckpointStore warm = new CheckpointStore(DIR.resolve("warm-up"));
      Files.createDirectories(DIR.resolve("warm-up"));
      Files.write(warm.file(), CheckpointBytes.withModel(CheckpointBytes.VALID_JSON, new float[] {1}).withChecksum());
      close(warm.load());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest
  @DisplayName("any content under a valid checksum is loaded or refused with InvalidCheckpointException naming the file; "
      + "memory stays within 16 x its size + 2 MiB; what loads saves and loads back the same")
  void checkpointContentWithValidChecksum(byte[] content) throws IOException {
    byte[] file = ByteBuffer.allocate(content.length + Long.BYTES).put(content).putLong(CheckpointBytes.crc(content)).array();
    loadAndCheck(file);
  }

  @FuzzTest
  @DisplayName("any file is loaded or refused with InvalidCheckpointException naming the file; memory stays within "
      + "16 x its size + 2 MiB")
  void checkpointFileAsIs(byte[] file) throws IOException {
    loadAndCheck(file);
  }

  private static void loadAndCheck(byte[] bytes) throws IOException {
    Path stateDir = DIR.resolve("state");
    CheckpointStore store = new CheckpointStore(stateDir);
    Files.write(store.file(), bytes);
    Optional<Checkpoint> loaded;
    try {
      loaded = store.load();
    } catch (InvalidCheckpointException refused) {
      assertThat(refused.getMessage()).startsWith("checkpoint " + store.file() + " ");
      assertThat(refused.problem()).isNotBlank();
      loaded = Optional.empty();
    }
    assertAllocationBounded(store, bytes.length);
    if (loaded.isEmpty()) {
      return;
    }
    Checkpoint first = loaded.get();
    CheckpointStore again = new CheckpointStore(DIR.resolve("again"));
    again.save(first);
    Optional<Checkpoint> second = again.load();
    assertSame(second.orElseThrow(), first);
    close(second);
    close(loaded);
  }

  /** A loaded checkpoint's model reads from the file until closed. */
  private static void close(Optional<Checkpoint> loaded) throws IOException {
    if (loaded.isPresent() && loaded.get().global() instanceof FileModel model) {
      model.close();
    }
  }

  /**
   * Reads the file a second time and measures what that allocates: the first read of an input may
   * load classes (and the fuzzer instruments them in this thread), which is no cost of the file.
   */
  private static void assertAllocationBounded(CheckpointStore store, int size) throws IOException {
    long before = THREADS.getCurrentThreadAllocatedBytes();
    try {
      close(store.load());
    } catch (InvalidCheckpointException expected) {
      // refused again, as the first time
    }
    long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
    assertThat(allocated).as("bytes allocated to read a %d-byte checkpoint", size)
        .isLessThanOrEqualTo(ALLOCATION_PER_FILE_BYTE * size + FIXED_ALLOCATION);
  }

  static void assertSame(Checkpoint actual, Checkpoint expected) {
    assertThat(actual.jobId()).isEqualTo(expected.jobId());
    assertThat(actual.model()).isEqualTo(expected.model());
    assertThat(actual.layout()).isEqualTo(expected.layout());
    assertThat(actual.strategy()).isEqualTo(expected.strategy());
    assertThat(actual.roundsTotal()).isEqualTo(expected.roundsTotal());
    assertThat(actual.roundsCompleted()).isEqualTo(expected.roundsCompleted());
    assertThat(actual.modelVersion()).isEqualTo(expected.modelVersion());
    assertSameBits(TestModels.values(actual.global()), TestModels.values(expected.global()));
    assertThat(actual.strategyState().keySet()).containsExactlyElementsOf(expected.strategyState().keySet());
    for (Map.Entry<String, float[][]> e : expected.strategyState().entrySet()) {
      assertSameBits(actual.strategyState().get(e.getKey()), e.getValue());
    }
    assertThat(actual.parties()).isEqualTo(expected.parties());
    assertThat(actual.history()).isEqualTo(expected.history());
    assertThat(actual.finalEvaluations()).isEqualTo(expected.finalEvaluations());
    assertThat(actual.bytesUp()).isEqualTo(expected.bytesUp());
    assertThat(actual.bytesDown()).isEqualTo(expected.bytesDown());
  }

  private static void assertSameBits(float[][] actual, float[][] expected) {
    assertThat(actual.length).isEqualTo(expected.length);
    for (int t = 0; t < expected.length; t++) {
      assertThat(actual[t].length).isEqualTo(expected[t].length);
      for (int i = 0; i < expected[t].length; i++) {
        if (Float.floatToRawIntBits(actual[t][i]) != Float.floatToRawIntBits(expected[t][i])) {
          throw new AssertionError("tensor " + t + " value " + i + " changed in a save and load");
        }
      }
    }
  }

  /** A scratch directory with the state/ subdirectory the checkpoint store reads. */
  private static Path stateParent() {
    Path dir = ScratchDirectories.deletedAtExit("checkpoint-fuzz");
    try {
      Files.createDirectories(dir.resolve("state"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }
}
