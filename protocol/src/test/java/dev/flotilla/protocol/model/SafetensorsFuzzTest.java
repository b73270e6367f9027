package dev.flotilla.protocol.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flotilla.testing.ScratchDirectories;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;

/**
 * Fuzz harnesses of the safetensors reader, the code that reads an operator's initial model and a
 * trainer command's update. One harness takes its input as the whole file (the header length and
 * its bounds); the other takes the header text and the data section separated by the first NUL
 * byte (a header cannot contain one) and writes the right length in front, so the fuzzer spends
 * its time in the JSON parser and the layout checks. Inputs under {@code SafetensorsFuzzTestInputs/}
 * are replayed by every {@code mvn verify}; {@code bench/fuzz.sh} fuzzes; {@link SafetensorsSeeds}
 * writes the seeds.
 */
class SafetensorsFuzzTest {

  /** Fixed cost of one read: the 1 MiB I/O buffer's object, the channel, the decoder. */
  private static final long FIXED_ALLOCATION = 2 << 20;
  private static final long ALLOCATION_PER_FILE_BYTE = 32;

  private static final Path DIR = ScratchDirectories.deletedAtExit("safetensors-fuzz");
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @FuzzTest
  @DisplayName("any file is read or refused with SafetensorsException naming the file; memory stays within "
      + "32 x its size + 2 MiB; what is read writes and reads back the same")
  void safetensorsFileAsIs(byte[] file) throws IOException {
    readAndCheck(file);
  }

  @FuzzTest
  @DisplayName("any header text and data section (with the right length in front) is read or refused with "
      + "SafetensorsException; memory bounded; what is read writes and reads back the same")
  void safetensorsHeaderAndData(byte[] input) throws IOException {
    int split = 0;
    while (split < input.length && input[split] != 0) {
      split++;
    }
    int dataStart = Math.min(split + 1, input.length);
    ByteBuffer file = ByteBuffer.allocate(8 + input.length - (dataStart - split)).order(ByteOrder.LITTLE_ENDIAN);
    file.putLong(split).put(input, 0, split).put(input, dataStart, input.length - dataStart);
    readAndCheck(file.array());
  }

  private static void readAndCheck(byte[] bytes) throws IOException {
    Path file = DIR.resolve("fuzz.safetensors");
    Files.write(file, bytes);
    ModelFile model;
    try {
      model = Safetensors.read(file);
    } catch (SafetensorsException refused) {
      assertThat(refused.getMessage()).startsWith("model file " + file + ": ");
      assertThat(refused.file()).isEqualTo(file);
      model = null;
    }
    assertAllocationBounded(file, bytes.length);
    if (model == null) {
      return;
    }
    SafetensorsHeader header = Safetensors.readLayout(file);
    assertThat(header.layout()).isEqualTo(model.layout());
    assertThat(header.dataStart() + header.dataBytes()).isEqualTo(bytes.length);
    Path again = DIR.resolve("again.safetensors");
    Safetensors.write(again, model.layout(), model.values(), model.metadata());
    ModelFile back = Safetensors.read(again);
    assertThat(back.layout()).isEqualTo(model.layout());
    assertThat(back.metadata()).isEqualTo(model.metadata());
    for (int t = 0; t < model.values().length; t++) {
      float[] a = model.values()[t];
      float[] b = back.values()[t];
      for (int i = 0; i < a.length; i++) {
        if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
          throw new AssertionError("tensor " + model.layout().get(t).name() + " element " + i + " changed: " + a[i] + " -> " + b[i]);
        }
      }
    }
  }

  /** Reads a second time and measures that: the first read may load and instrument classes. */
  private static void assertAllocationBounded(Path file, int size) throws IOException {
    long before = THREADS.getCurrentThreadAllocatedBytes();
    try {
      Safetensors.read(file);
    } catch (SafetensorsException expected) {
      // refused again, as the first time
    }
    long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
    assertThat(allocated).as("bytes allocated to read a %d-byte file", size)
        .isLessThanOrEqualTo(ALLOCATION_PER_FILE_BYTE * size + FIXED_ALLOCATION);
  }
}
