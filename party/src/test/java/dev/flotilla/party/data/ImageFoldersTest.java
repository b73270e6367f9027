package dev.flotilla.party.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Image folder reader")
class ImageFoldersTest {
  @TempDir Path dir;

  static DataOptions shape(int channels, int height, int width) {
    return DataOptions.defaults().withInputShape(new int[] {channels, height, width});
  }

  static BufferedImage grey(int width, int height, int seed) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.getRaster().setSample(x, y, 0, (seed * 31 + y * width + x * 7) & 0xff);
      }
    }
    return image;
  }

  Path save(BufferedImage image, String folder, String name, String format) throws IOException {
    Path classDir = Files.createDirectories(dir.resolve(folder));
    Path file = classDir.resolve(name);
    assertThat(ImageIO.write(image, format, file.toFile())).isTrue();
    return file;
  }

  @Test
  @DisplayName("class i is the i-th sorted folder name, and grey PNGs of the input size keep their exact bytes")
  void greyExact() throws IOException {
    save(grey(4, 3, 1), "shirt", "a.png", "png");
    save(grey(4, 3, 2), "coat", "b.png", "png");
    save(grey(4, 3, 3), "coat", "c.png", "png");
    Files.writeString(dir.resolve("coat").resolve("README.txt"), "not an image");

    ImageFolders.ImageFolder folder = ImageFolders.read(dir, shape(1, 3, 4));
    ImageDataset images = folder.samples();

    assertThat(folder.classes()).containsExactly("coat", "shirt");
    assertThat(folder.skipped()).isEqualTo(1);
    assertThat(images.size()).isEqualTo(3);
    assertThat(images.sampleShape()).containsExactly(1, 3, 4);
    assertThat(new int[] {images.classOf(0), images.classOf(1), images.classOf(2)}).containsExactly(0, 0, 1);
    byte[] expected = new byte[12];
    grey(4, 3, 3).getRaster().getDataElements(0, 0, 4, 3, expected);
    assertThat(images.imageBytes(1)).containsExactly(expected);
    float[] scaled = new float[12];
    images.copyFeatures(1, scaled, 0);
    assertThat(scaled[5]).isEqualTo(Byte.toUnsignedInt(expected[5]) / 255f);
  }

  @Test
  @DisplayName("--classes fixes the indices, so a party without some classes maps the rest like everybody else")
  void classesList() throws IOException {
    save(grey(2, 2, 1), "dog", "a.png", "png");
    save(grey(2, 2, 2), "bird", "b.png", "png");
    ImageFolders.ImageFolder folder = ImageFolders.read(dir,
        shape(1, 2, 2).withClasses(List.of("cat", "dog", "bird")));
    assertThat(folder.samples().task()).isEqualTo(Task.classification(3));
    assertThat(new int[] {folder.samples().classOf(0), folder.samples().classOf(1)}).containsExactly(1, 2);

    save(grey(2, 2, 3), "fish", "c.png", "png");
    assertThatThrownBy(() -> ImageFolders.read(dir, shape(1, 2, 2).withClasses(List.of("cat", "dog", "bird"))))
        .hasMessage(dir.resolve("fish") + ": a class folder not named in --classes [cat, dog, bird]");
  }

  @Test
  @DisplayName("RGB images become 3 channel planes, or BT.601 grey for a 1-channel model")
  void colour() throws IOException {
    BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, 0xff0000);
    image.setRGB(1, 0, 0x00ff80);
    save(image, "a", "x.png", "png");
    save(grey(2, 1, 0), "b", "y.png", "png");

    ImageDataset rgb = ImageFolders.read(dir, shape(3, 1, 2)).samples();
    assertThat(rgb.imageBytes(0)).containsExactly(255, 0, 0, 255, 0, 128);
    byte[] greyAsRgb = rgb.imageBytes(1);
    assertThat(greyAsRgb[0]).isEqualTo(greyAsRgb[2]).isEqualTo(greyAsRgb[4]);

    ImageDataset grey = ImageFolders.read(dir, shape(1, 1, 2)).samples();
    assertThat(Byte.toUnsignedInt(grey.imageBytes(0)[0])).isEqualTo(Math.round(0.299f * 255));
    assertThat(Byte.toUnsignedInt(grey.imageBytes(0)[1])).isEqualTo(Math.round(0.587f * 255 + 0.114f * 128));
  }

  @Test
  @DisplayName("area resizing averages the covered source pixels; bilinear interpolates between centres")
  void resize() throws IOException {
    BufferedImage image = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_GRAY);
    int[] values = {0, 100, 200, 40, 20, 60, 80, 120};
    image.getRaster().setSamples(0, 0, 4, 2, 0, values);
    save(image, "a", "x.png", "png");
    save(image, "b", "y.png", "png");

    ImageDataset area = ImageFolders.read(dir, shape(1, 1, 2)).samples();
    assertThat(area.imageBytes(0)).containsExactly(45, 110); // (0+100+20+60)/4, (200+40+80+120)/4

    ImageDataset bilinear = ImageFolders.read(dir, shape(1, 1, 2).withResize(DataOptions.Resize.BILINEAR)).samples();
    // source centres 0.5 and 2.5 of 4 columns, row centre 0.5 of 2: means of columns 0-1 and 2-3 of both rows
    assertThat(bilinear.imageBytes(0)).containsExactly(45, 110);

    ImageDataset enlarged = ImageFolders.read(dir, shape(1, 2, 8).withResize(DataOptions.Resize.BILINEAR)).samples();
    // the first target column's centre 0.25 lies left of source centre 0.5: clamped to column 0
    assertThat(Byte.toUnsignedInt(enlarged.imageBytes(0)[0])).isEqualTo(0);
    assertThat(Byte.toUnsignedInt(enlarged.imageBytes(0)[1])).isEqualTo(25); // 0.75: a quarter of the way to 100
  }

  @Test
  @DisplayName("JPEG images are read too")
  void jpeg() throws IOException {
    BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        image.setRGB(x, y, 0x808080);
      }
    }
    save(image, "a", "x.jpg", "jpeg");
    save(grey(8, 8, 1), "b", "y.png", "png");
    ImageDataset images = ImageFolders.read(dir, shape(1, 8, 8)).samples();
    assertThat(Byte.toUnsignedInt(images.imageBytes(0)[27])).isBetween(124, 132);
  }

  @Nested
  @DisplayName("hostile or broken images")
  class Hostile {
    /** A PNG whose header declares {@code width x height} pixels, followed by a tiny compressed body. */
    byte[] pngDeclaring(int width, int height) throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
      ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
      DataOutputStream header = new DataOutputStream(ihdr);
      header.writeInt(width);
      header.writeInt(height);
      header.write(new byte[] {8, 0, 0, 0, 0}); // 8-bit grey, deflate, no filter, no interlace
      chunk(out, "IHDR", ihdr.toByteArray());
      chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
      chunk(out, "IEND", new byte[0]);
      return bytes.toByteArray();
    }

    void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
      out.writeInt(data.length);
      byte[] typeBytes = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      out.write(typeBytes);
      out.write(data);
      CRC32 crc = new CRC32();
      crc.update(typeBytes);
      crc.update(data);
      out.writeInt((int) crc.getValue());
    }

    @Test
    @DisplayName("a decompression bomb is refused from its header's dimensions, before it is decoded")
    void bomb() throws IOException {
      save(grey(2, 2, 1), "a", "fine.png", "png");
      Path bomb = Files.createDirectories(dir.resolve("b")).resolve("bomb.png");
      Files.write(bomb, pngDeclaring(15_000, 15_000));
      assertThatThrownBy(() -> ImageFolders.read(dir, shape(1, 2, 2)))
          .isInstanceOf(BadDataException.class)
          .hasMessage(bomb + ": declares 15000x15000 pixels, more than the limit of " + DataLimits.MAX_IMAGE_SIDE
              + " a side and " + DataLimits.MAX_IMAGE_PIXELS + " pixels; not decoded");
    }

    @Test
    @DisplayName("a file named .png that is not an image, and a truncated PNG, are named")
    void notAnImage() throws IOException {
      save(grey(2, 2, 1), "a", "fine.png", "png");
      Path text = Files.createDirectories(dir.resolve("b")).resolve("text.png");
      Files.writeString(text, "hello");
      assertThatThrownBy(() -> ImageFolders.read(dir, shape(1, 2, 2)))
          .hasMessage(text + ": not a PNG or JPEG image");

      byte[] png = pngDeclaring(3, 3);
      Files.write(text, java.util.Arrays.copyOf(png, 40));
      assertThatThrownBy(() -> ImageFolders.read(dir, shape(1, 2, 2)))
          .isInstanceOf(BadDataException.class)
          .hasMessageStartingWith(text + ": cannot decode the image");
    }

    @Test
    @DisplayName("without an input shape the reader says how to give one")
    void needsShape() throws IOException {
      save(grey(2, 2, 1), "a", "x.png", "png");
      assertThatThrownBy(() -> ImageFolders.read(dir, DataOptions.defaults()))
          .hasMessageContaining("--input-shape CxHxW")
          .hasMessageContaining("--model");
    }

    @Test
    @DisplayName("one class folder is not a classification data set")
    void oneClass() throws IOException {
      save(grey(2, 2, 1), "a", "x.png", "png");
      assertThatThrownBy(() -> ImageFolders.read(dir, shape(1, 2, 2)))
          .hasMessageContaining("needs at least 2 classes");
    }
  }
}
