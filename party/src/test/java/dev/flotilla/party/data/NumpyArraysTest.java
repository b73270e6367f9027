package dev.flotilla.party.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.tensor.HalfFloats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("NumPy array reader")
class NumpyArraysTest {
  @TempDir Path dir;

  /** A version 1 .npy file with this header dict and data, padded as NumPy pads it. */
  static byte[] npy(String dict, byte[] data) {
    String header = dict;
    int total = 10 + header.length() + 1;
    header = header + " ".repeat((64 - total % 64) % 64) + "\n";
    ByteBuffer buffer = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    buffer.putShort((short) header.length());
    buffer.put(header.getBytes(StandardCharsets.ISO_8859_1));
    buffer.put(data);
    return buffer.array();
  }

  static byte[] floats(ByteOrder order, float... values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(order);
    for (float v : values) {
      buffer.putFloat(v);
    }
    return buffer.array();
  }

  static byte[] longs(long... values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      buffer.putLong(v);
    }
    return buffer.array();
  }

  static String dict(String descr, String shape) {
    return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  }

  static float[] row(Samples samples, int index) {
    float[] values = new float[samples.featuresPerSample()];
    samples.copyFeatures(index, values, 0);
    return values;
  }

  void writeZip(Path file, Map<String, byte[]> entries) throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      for (var entry : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(entry.getKey()));
        zip.write(entry.getValue());
        zip.closeEntry();
      }
    }
  }

  @Test
  @DisplayName("a directory of x.npy and y.npy: rows are samples, the rest of x's shape is the sample shape, integer y are classes")
  void directory() throws IOException {
    Files.write(dir.resolve("x.npy"), npy(dict("<f4", "(3, 1, 2)"), floats(ByteOrder.LITTLE_ENDIAN, 1, 2, 3, 4, 5, 6)));
    Files.write(dir.resolve("y.npy"), npy(dict("<i8", "(3,)"), longs(2, 0, 1)));

    LabelledArrays.Split split = NumpyArrays.read(dir, DataOptions.defaults(), null);
    Samples train = split.train();
    assertThat(split.test()).isNull();
    assertThat(train.size()).isEqualTo(3);
    assertThat(train.sampleShape()).containsExactly(1, 2);
    assertThat(row(train, 2)).containsExactly(5f, 6f);
    assertThat(train.task()).isEqualTo(Task.classification(3));
    assertThat(train.classOf(0)).isEqualTo(2);
    assertThat(train.subset(new int[] {2, 0}).label(1)).isEqualTo(2f);
  }

  @Test
  @DisplayName("an .npz with x, y, x_test, y_test gives a test split; float labels make a regression; big-endian floats read right")
  void npz() throws IOException {
    Path file = dir.resolve("data.npz");
    writeZip(file, Map.of(
        "x.npy", npy(dict(">f4", "(2, 2)"), floats(ByteOrder.BIG_ENDIAN, 1.5f, -2, 3, 4)),
        "y.npy", npy(dict("<f4", "(2,)"), floats(ByteOrder.LITTLE_ENDIAN, 0.25f, 7.5f)),
        "x_test.npy", npy(dict(">f4", "(1, 2)"), floats(ByteOrder.BIG_ENDIAN, 9, 8)),
        "y_test.npy", npy(dict("<f4", "(1,)"), floats(ByteOrder.LITTLE_ENDIAN, 1))));
    LabelledArrays.Split split = NumpyArrays.read(file, DataOptions.defaults(), null);
    assertThat(split.train().task()).isEqualTo(Task.regression());
    assertThat(row(split.train(), 0)).containsExactly(1.5f, -2f);
    assertThat(split.train().label(1)).isEqualTo(7.5f);
    assertThat(row(split.test(), 0)).containsExactly(9f, 8f);
  }

  @Test
  @DisplayName("--task classification turns integral float labels into classes, and refuses a fractional one naming its element")
  void classificationOfFloats() throws IOException {
    Files.write(dir.resolve("x.npy"), npy(dict("|u1", "(2, 1)"), new byte[] {(byte) 200, 3}));
    Files.write(dir.resolve("y.npy"), npy(dict("<f4", "(2, 1)"), floats(ByteOrder.LITTLE_ENDIAN, 1, 0)));
    DataOptions classification = DataOptions.defaults().withTask(DataOptions.TaskKind.CLASSIFICATION);
    Samples samples = NumpyArrays.read(dir, classification, null).train();
    assertThat(samples.task()).isEqualTo(Task.classification(2));
    assertThat(row(samples, 0)).containsExactly(200f);

    Files.write(dir.resolve("y.npy"), npy(dict("<f4", "(2,)"), floats(ByteOrder.LITTLE_ENDIAN, 1, 0.5f)));
    assertThatThrownBy(() -> NumpyArrays.read(dir, classification, null))
        .hasMessageContaining(dir.resolve("y.npy") + " element 1: 0.5 is not a class index");
  }

  @Nested
  @DisplayName("hostile or broken arrays")
  class Hostile {
    @Test
    @DisplayName("a shape that needs more bytes than the file holds is refused before anything is allocated")
    void shapeBeyondFile() throws IOException {
      Path x = dir.resolve("x.npy");
      Files.write(x, npy(dict("<f8", "(100000000, 10)"), new byte[16]));
      assertThatThrownBy(() -> NumpyArrays.readFile(x))
          .isInstanceOf(BadDataException.class)
          .hasMessageContaining(x + ": shape [100000000, 10] of <f8 is more than " + DataLimits.MAX_ELEMENTS + " bytes");
      Files.write(x, npy(dict("<f4", "(1000, 10)"), new byte[16]));
      assertThatThrownBy(() -> NumpyArrays.readFile(x))
          .hasMessage(x + ": shape [1000, 10] needs 40000 bytes of data but the file holds 16");
    }

    @Test
    @DisplayName("a shape whose product overflows, a header over the cap, Fortran order and unknown dtypes are refused")
    void headers() throws IOException {
      Path x = dir.resolve("x.npy");
      Files.write(x, npy(dict("<f4", "(4611686018427387904, 4611686018427387904)"), new byte[0]));
      assertThatThrownBy(() -> NumpyArrays.readFile(x)).isInstanceOf(BadDataException.class)
          .hasMessageContaining(x.toString());

      ByteBuffer big = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      big.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(Integer.MAX_VALUE);
      Files.write(x, big.array());
      assertThatThrownBy(() -> NumpyArrays.readFile(x))
          .hasMessage(x + ": .npy header of 2147483647 bytes, more than " + DataLimits.MAX_NPY_HEADER_BYTES);

      Files.write(x, npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]));
      assertThatThrownBy(() -> NumpyArrays.readFile(x)).hasMessageContaining("Fortran-ordered");

      Files.write(x, npy(dict("<c8", "(2,)"), new byte[16]));
      assertThatThrownBy(() -> NumpyArrays.readFile(x)).hasMessageContaining("element type '<c8' is not supported");

      Files.writeString(x, "x,y\n1,2\n");
      assertThatThrownBy(() -> NumpyArrays.readFile(x)).hasMessage(x + ": not a .npy array (no \\x93NUMPY magic)");
    }

    @Test
    @DisplayName("a truncated array inside an .npz is named with its entry, and a y that does not match x is refused")
    void npzEntries() throws IOException {
      Path file = dir.resolve("data.npz");
      byte[] x = npy(dict("<f4", "(4, 2)"), floats(ByteOrder.LITTLE_ENDIAN, 1, 2, 3, 4, 5, 6, 7, 8));
      writeZip(file, Map.of("x.npy", java.util.Arrays.copyOf(x, x.length - 5),
          "y.npy", npy(dict("<i8", "(4,)"), longs(0, 1, 0, 1))));
      assertThatThrownBy(() -> NumpyArrays.read(file, DataOptions.defaults(), null))
          .hasMessage(file + "!x.npy: truncated .npy array (ended before its data)");

      writeZip(file, Map.of("x.npy", x, "y.npy", npy(dict("<i8", "(3,)"), longs(0, 1, 0))));
      assertThatThrownBy(() -> NumpyArrays.read(file, DataOptions.defaults(), null))
          .hasMessageContaining(file + "!y.npy: shape [3] does not give one label to each of the 4 rows");

      writeZip(file, Map.of("features.npy", x));
      assertThatThrownBy(() -> NumpyArrays.read(file, DataOptions.defaults(), null))
          .hasMessageContaining(file + ": no array 'x'")
          .hasMessageContaining("np.savez(path, x=x, y=y)");
    }
  }

  @Test
  @DisplayName("float16 values convert exactly")
  void half() {
    assertThat(HalfFloats.float16ToFloat((short) 0x3c00)).isEqualTo(1f);
    assertThat(HalfFloats.float16ToFloat((short) 0xc000)).isEqualTo(-2f);
    assertThat(HalfFloats.float16ToFloat((short) 0x0001)).isEqualTo((float) Math.pow(2, -24));
    assertThat(HalfFloats.float16ToFloat((short) 0x7bff)).isEqualTo(65504f);
  }

}
