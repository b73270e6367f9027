package dev.flotilla.server.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Float32FileTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("appends small and large, buffered and not, read back from any index: the values in order, whether in the file or still in its buffer")
  void appendAndRead() throws Exception {
    int n = 3 * Float32File.PENDING_VALUES + 5 * Float32File.PIECE_VALUES / 2;
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = i * 0.5f - 7;
    }
    try (Float32File f = Float32File.create(dir, "t-")) {
      int[] sizes = {1, 4096, Float32File.PENDING_VALUES - 100, 5 * Float32File.PIECE_VALUES / 2, 4096};
      int at = 0;
      for (int size : sizes) {
        f.append(values, at, size);
        at += size;
        assertThat(f.values()).isEqualTo(at);
        float[] back = new float[at];
        f.read(0, back, 0, at);
        assertThat(back).isEqualTo(java.util.Arrays.copyOf(values, at));
      }
      f.append(values, at, n - at);
      float[] middle = new float[70_000];
      f.read(12_345, middle, 0, middle.length);
      assertThat(middle).isEqualTo(java.util.Arrays.copyOfRange(values, 12_345, 12_345 + 70_000));
      assertThatThrownBy(() -> f.read(n - 1, new float[2], 0, 2)).hasMessageContaining("of a file of " + n);
      f.flush();
      ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(f.path())).order(ByteOrder.LITTLE_ENDIAN);
      float[] onDisk = new float[n];
      bytes.asFloatBuffer().get(onDisk);
      assertThat(onDisk).as("float32 little-endian, in order").isEqualTo(values);
    }
    assertThat(StreamingStrategiesTest.filesIn(dir)).as("close deletes the file").isEmpty();
  }

  @Test
  @DisplayName("values that fit the append buffer never touch the disk: no file until the first write, then one in the directory")
  void noFileUntilTheFirstWrite() throws Exception {
    float[] values = new float[Float32File.PENDING_VALUES + 1];
    for (int i = 0; i < values.length; i++) {
      values[i] = i - 3.25f;
    }
    try (Float32File f = Float32File.create(dir, "t-")) {
      f.append(java.nio.FloatBuffer.wrap(values), Float32File.PENDING_VALUES);
      assertThat(f.path()).isNull();
      assertThat(StreamingStrategiesTest.filesIn(dir)).as("a full buffer, no file").isEmpty();
      float[] back = new float[Float32File.PENDING_VALUES];
      f.read(0, back, 0, back.length);
      assertThat(back).isEqualTo(java.util.Arrays.copyOf(values, back.length));

      f.append(java.nio.FloatBuffer.wrap(values, Float32File.PENDING_VALUES, 1).slice(), 1);
      assertThat(StreamingStrategiesTest.filesIn(dir)).as("the buffer went to the file to make room")
          .containsExactly(f.path());
      assertThat(Files.size(f.path())).isEqualTo((long) Float32File.PENDING_VALUES * Float.BYTES);
      back = new float[values.length];
      f.read(0, back, 0, back.length);
      assertThat(back).isEqualTo(values);
    }
    assertThat(StreamingStrategiesTest.filesIn(dir)).as("close deletes the file").isEmpty();
    try (Float32File never = Float32File.create(dir, "t-")) {
      never.append(values, 0, 10);
    }
    assertThat(StreamingStrategiesTest.filesIn(dir)).as("closing one never written leaves nothing").isEmpty();
  }

  @Test
  @DisplayName("with spool memory, full buffers stay on the heap while it has room; then everything goes to the file, in order, and the memory is given back")
  void memoryThenFile() throws Exception {
    int block = Float32File.PENDING_VALUES;
    float[] values = new float[3 * block + block / 2];
    for (int i = 0; i < values.length; i++) {
      values[i] = i * 0.25f + 1;
    }
    SpoolMemory memory = new SpoolMemory(2L * block * Float.BYTES);
    try (Float32File f = Float32File.create(dir, "t-", memory)) {
      int at = 0;
      while (at < 2 * block + 4096) {
        f.append(values, at, 4096);
        at += 4096;
      }
      assertThat(memory.used()).as("two full buffers held").isEqualTo(2L * block * Float.BYTES);
      assertThat(StreamingStrategiesTest.filesIn(dir)).as("nothing on disk yet").isEmpty();
      float[] back = new float[at];
      f.read(0, back, 0, at);
      assertThat(back).isEqualTo(java.util.Arrays.copyOf(values, at));

      while (at < values.length) {
        f.append(values, at, 4096);
        at += 4096;
      }
      assertThat(memory.used()).as("the third full buffer found no room: all of memory went to the file").isZero();
      assertThat(Files.size(f.path())).isEqualTo(3L * block * Float.BYTES);
      float[] middle = new float[block + 10];
      f.read(block - 5, middle, 0, middle.length);
      assertThat(middle).isEqualTo(java.util.Arrays.copyOfRange(values, block - 5, 2 * block + 5));
      java.util.List<Float> all = new java.util.ArrayList<>();
      f.readAll((v, from, count) -> {
        for (int i = 0; i < count; i++) {
          all.add(v[from + i]);
        }
      });
      assertThat(all).hasSize(values.length);
      for (int i = 0; i < values.length; i++) {
        assertThat(all.get(i)).as("value %d", i).isEqualTo(values[i]);
      }
    }
    try (Float32File held = Float32File.create(dir, "t-", memory)) {
      held.append(values, 0, block);
      held.append(values, 0, 1);
      assertThat(memory.used()).isEqualTo((long) block * Float.BYTES);
    }
    assertThat(memory.used()).as("close gives the memory back").isZero();
    assertThat(StreamingStrategiesTest.filesIn(dir)).isEmpty();
  }

  @Test
  @DisplayName("kept bytes are held as they are (no copy) while the memory has room, between copied values in order; "
      + "past the budget they are copied to the file; read from any index, then the memory is given back")
  void keptBytesThenFile() throws Exception {
    int block = Float32File.PENDING_VALUES;
    float[] values = new float[4 * block];
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < values.length; i++) {
      values[i] = i * 0.75f - 3;
      bytes.putFloat(i * Float.BYTES, values[i]);
    }
    SpoolMemory memory = new SpoolMemory(2L * block * Float.BYTES);
    try (Float32File f = Float32File.create(dir, "t-", memory)) {
      f.append(values, 0, 100);
      f.appendKept(bytes.slice(100 * Float.BYTES, block * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN), block);
      assertThat(memory.used()).as("the pending 100 values' buffer held, then the kept bytes")
          .isEqualTo(2L * block * Float.BYTES);
      bytes.putFloat(200 * Float.BYTES, 42f); // the promise is broken on purpose: kept, not copied
      float[] back = new float[block + 100];
      f.read(0, back, 0, back.length);
      assertThat(back[200]).isEqualTo(42f);
      bytes.putFloat(200 * Float.BYTES, values[200]);
      assertThat(StreamingStrategiesTest.filesIn(dir)).as("nothing on disk yet").isEmpty();

      f.appendKept(bytes.slice((block + 100) * Float.BYTES, block * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN), block);
      assertThat(memory.used()).as("no room for more: copied into the append buffer").isEqualTo(2L * block * Float.BYTES);
      f.append(values, 2 * block + 100, block);
      assertThat(memory.used()).as("the full append buffer found no room: all of memory went to the file").isZero();
      f.appendKept(bytes.slice((3 * block + 100) * Float.BYTES, (block - 100) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN),
          block - 100);
      assertThat(f.values()).isEqualTo(values.length);
      java.util.List<Float> tail = new java.util.ArrayList<>();
      f.read(block - 7, values.length - (block - 7), (v, from, count) -> {
        for (int i = 0; i < count; i++) {
          tail.add(v[from + i]);
        }
      });
      for (int i = 0; i < tail.size(); i++) {
        assertThat(tail.get(i)).as("value %d", block - 7 + i).isEqualTo(values[block - 7 + i]);
      }
      assertThat(tail).hasSize(values.length - (block - 7));
    }
    try (Float32File kept = Float32File.create(dir, "t-", memory)) {
      kept.appendKept(bytes.slice(0, 64).order(ByteOrder.LITTLE_ENDIAN), 16);
      assertThat(memory.used()).isEqualTo(64);
    }
    assertThat(memory.used()).as("close gives the memory back").isZero();
    assertThat(StreamingStrategiesTest.filesIn(dir)).isEmpty();
  }
}
