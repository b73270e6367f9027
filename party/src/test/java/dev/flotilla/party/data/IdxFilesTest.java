package dev.flotilla.party.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFilesTest {
  @TempDir Path dir;

  static byte[] idx(int[] dimensions, byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(0x0800 | dimensions.length);
    for (int d : dimensions) {
      out.writeInt(d);
    }
    out.write(data);
    out.flush();
    return bytes.toByteArray();
  }

  static void write(Path file, byte[] content, boolean gzip) throws IOException {
    try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
      out.write(content);
    }
  }

  /** A tiny data set of {@code count} 2x3 images whose pixels encode their index and label. */
  static void writeTinyDataSet(Path dir, String images, String labels, int count, boolean gzip) throws IOException {
    byte[] pixels = new byte[count * 6];
    byte[] labelBytes = new byte[count];
    for (int i = 0; i < count; i++) {
      labelBytes[i] = (byte) (i % 10);
      for (int p = 0; p < 6; p++) {
        pixels[i * 6 + p] = (byte) (i * 6 + p);
      }
    }
    String suffix = gzip ? ".gz" : "";
    write(dir.resolve(images + suffix), idx(new int[] {count, 2, 3}, pixels), gzip);
    write(dir.resolve(labels + suffix), idx(new int[] {count}, labelBytes), gzip);
  }

  @Test
  @DisplayName("gzipped and plain idx files give the same dimensions and bytes")
  void readsGzippedAndPlain() throws IOException {
    byte[] data = {1, 2, 3, (byte) 200, 5, 6};
    byte[] content = idx(new int[] {2, 3}, data);
    write(dir.resolve("plain"), content, false);
    write(dir.resolve("zipped.gz"), content, true);

    for (Path file : new Path[] {dir.resolve("plain"), dir.resolve("zipped.gz")}) {
      IdxFiles.IdxArray array = IdxFiles.read(file);
      assertThat(array.dimensions()).containsExactly(2, 3);
      assertThat(array.data()).containsExactly(data);
    }
  }

  @Test
  @DisplayName("a data set loads from gzipped files and from plain files, labels and scaled pixels intact")
  void loadsDataSetEitherWay() throws IOException {
    Path zipped = Files.createDirectory(dir.resolve("zipped"));
    Path plain = Files.createDirectory(dir.resolve("plain"));
    writeTinyDataSet(zipped, FashionMnist.TRAIN_IMAGES, FashionMnist.TRAIN_LABELS, 12, true);
    writeTinyDataSet(plain, FashionMnist.TRAIN_IMAGES, FashionMnist.TRAIN_LABELS, 12, false);

    for (Path directory : new Path[] {zipped, plain}) {
      ImageDataset data = FashionMnist.train(directory);
      assertThat(data.size()).isEqualTo(12);
      assertThat(data.rows()).isEqualTo(2);
      assertThat(data.columns()).isEqualTo(3);
      assertThat(data.classOf(11)).isEqualTo(1);
      float[] image = new float[6];
      data.copyScaled(5, image, 0);
      assertThat(image[0]).isEqualTo(30 / 255f);
      assertThat(image[5]).isEqualTo(35 / 255f);
    }
  }

  @Test
  @DisplayName("a missing file is reported with its path and where the data set can be found")
  void missingFileIsNamed() throws IOException {
    writeTinyDataSet(dir, FashionMnist.TRAIN_IMAGES, FashionMnist.TRAIN_LABELS, 3, true);

    assertThatThrownBy(() -> FashionMnist.requireFiles(dir))
        .isInstanceOf(DataMissingException.class)
        .hasMessageContaining(dir.resolve("t10k-images-idx3-ubyte.gz").toString())
        .hasMessageContaining("--data");
    assertThatThrownBy(() -> FashionMnist.train(dir.resolve("nowhere")))
        .isInstanceOf(DataMissingException.class)
        .hasMessageContaining("does not exist");
  }

  @Test
  @DisplayName("a gzipped file whose header claims two billion bytes is read as its data arrives and refused as truncated")
  void lyingGzipHeader() throws IOException {
    write(dir.resolve("liar.gz"), idx(new int[] {2_000_000_000}, new byte[10]), true);
    assertThatThrownBy(() -> IdxFiles.read(dir.resolve("liar.gz")))
        .isInstanceOf(DataMissingException.class)
        .hasMessage("data file " + dir.resolve("liar.gz") + " is truncated (ended before all its data was read)");
  }

  @Test
  @DisplayName("a truncated file, a non-idx file and mismatched image and label counts are refused with the file named")
  void corruptFilesAreRefused() throws IOException {
    byte[] content = idx(new int[] {4, 2, 3}, new byte[24]);
    write(dir.resolve("short"), java.util.Arrays.copyOf(content, content.length - 5), false);
    assertThatThrownBy(() -> IdxFiles.read(dir.resolve("short")))
        .isInstanceOf(DataMissingException.class)
        .hasMessage(dir.resolve("short") + " declares 24 bytes of data [4, 2, 3] but holds 19");
    write(dir.resolve("short.gz"), java.util.Arrays.copyOf(content, content.length - 5), true);
    assertThatThrownBy(() -> IdxFiles.read(dir.resolve("short.gz")))
        .isInstanceOf(DataMissingException.class)
        .hasMessageContaining("truncated")
        .hasMessageContaining("short.gz");

    write(dir.resolve("text"), "hello, world".getBytes(), false);
    assertThatThrownBy(() -> IdxFiles.read(dir.resolve("text")))
        .isInstanceOf(DataMissingException.class)
        .hasMessageContaining("not an idx file");

    write(dir.resolve(FashionMnist.TEST_IMAGES), idx(new int[] {4, 2, 3}, new byte[24]), false);
    write(dir.resolve(FashionMnist.TEST_LABELS), idx(new int[] {3}, new byte[3]), false);
    assertThatThrownBy(() -> FashionMnist.test(dir))
        .isInstanceOf(DataMissingException.class)
        .hasMessageContaining("4 images")
        .hasMessageContaining("3 labels");
  }
}
