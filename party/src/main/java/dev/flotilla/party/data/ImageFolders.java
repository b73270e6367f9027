package dev.flotilla.party.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * A directory with one sub-directory of PNG/JPEG images per class. Class i is the i-th name of
 * {@code --classes} when given, else of the sorted sub-directory names (so parties holding the same
 * classes agree on the indices). Each image's size is read from its header and bounded before it
 * is decoded; it is converted to the model's channels (grey, or RGB) and resized to its height and
 * width, and kept as bytes.
 */
public final class ImageFolders {
  private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

  static {
    ImageIO.setUseCache(false); // decode in memory, never through temporary files
  }

  private ImageFolders() {}

  /** The images and their class names (in class-index order); {@code skipped} counts non-image files. */
  public record ImageFolder(ImageDataset samples, List<String> classes, int skipped) {}

  public static ImageFolder read(Path directory, DataOptions options) {
    int[] shape = options.inputShape();
    if (shape == null) {
      throw new IllegalArgumentException("image folders need the model's input shape before decoding: give "
          + "--input-shape CxHxW (e.g. 1x28x28 or 3x32x32) or a built-in --model");
    }
    List<String> folders = subdirectories(directory);
    List<String> classes = options.classes().isEmpty() ? folders : options.classes();
    for (String folder : folders) {
      if (!classes.contains(folder)) {
        throw new BadDataException(directory.resolve(folder) + ": a class folder not named in --classes " + classes);
      }
    }
    if (classes.size() < 2) {
      throw new BadDataException(directory + ": " + folders.size() + " class folder(s) " + folders
          + "; classification needs at least 2 classes (one sub-directory per class)");
    }
    if (classes.size() > DataLimits.MAX_CLASSES) {
      throw new BadDataException(directory + ": more than " + DataLimits.MAX_CLASSES + " classes");
    }
    List<Path> files = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    int skipped = 0;
    for (int c = 0; c < classes.size(); c++) {
      Path folder = directory.resolve(classes.get(c));
      if (!Files.isDirectory(folder)) {
        continue; // a class this party has no images of
      }
      for (Path file : sortedEntries(folder)) {
        if (!isImage(file)) {
          skipped++;
          continue;
        }
        if (files.size() >= DataLimits.MAX_SAMPLES) {
          throw new BadDataException(directory + ": more than " + DataLimits.MAX_SAMPLES + " images");
        }
        files.add(file);
        labels.add(c);
      }
    }
    if (files.isEmpty()) {
      throw new BadDataException(directory + ": no .png, .jpg or .jpeg images in its class folders " + folders);
    }
    int channels = shape[0];
    int height = shape[1];
    int width = shape[2];
    int perImage = channels * height * width;
    if ((long) files.size() * perImage > DataLimits.MAX_ELEMENTS) {
      throw new BadDataException(directory + ": " + files.size() + " images of " + channels + "x" + height + "x" + width
          + " bytes are more than " + DataLimits.MAX_ELEMENTS + " bytes in memory; use a smaller --input-shape or fewer images");
    }
    byte[] pixels = new byte[files.size() * perImage];
    int[] labelArray = new int[files.size()];
    for (int i = 0; i < files.size(); i++) {
      decodeInto(files.get(i), channels, height, width, options.resize(), pixels, i * perImage);
      labelArray[i] = labels.get(i);
    }
    return new ImageFolder(new ImageDataset(pixels, labelArray, channels, height, width, classes.size()), classes,
        skipped);
  }

  /** Decodes one image, bounded by its header's dimensions, into {@code target} as CHW bytes. */
  static void decodeInto(Path file, int channels, int height, int width, DataOptions.Resize resize, byte[] target,
      int offset) {
    BufferedImage image = decode(file);
    int w = image.getWidth();
    int h = image.getHeight();
    float[][] planes = planes(image, channels);
    for (int c = 0; c < channels; c++) {
      float[] resized = Resampler.resize(planes[c], h, w, height, width, resize);
      int base = offset + c * height * width;
      for (int i = 0; i < resized.length; i++) {
        target[base + i] = (byte) Math.max(0, Math.min(255, Math.round(resized[i])));
      }
    }
  }

  static BufferedImage decode(Path file) {
    try {
      long bytes = Files.size(file);
      if (bytes > DataLimits.MAX_IMAGE_FILE_BYTES) {
        throw new BadDataException(file + ": " + bytes + " bytes, more than " + DataLimits.MAX_IMAGE_FILE_BYTES);
      }
    } catch (IOException e) {
      throw new DataMissingException("cannot read image " + file + ": " + e.getMessage(), e);
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      if (in == null) {
        throw new DataMissingException("cannot read image " + file);
      }
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new BadDataException(file + ": not a PNG or JPEG image");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        String format = reader.getFormatName().toLowerCase(Locale.ROOT);
        if (!format.equals("png") && !format.equals("jpeg")) {
          throw new BadDataException(file + ": a " + format + " image; only PNG and JPEG are read");
        }
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if (w <= 0 || h <= 0 || w > DataLimits.MAX_IMAGE_SIDE || h > DataLimits.MAX_IMAGE_SIDE
            || (long) w * h > DataLimits.MAX_IMAGE_PIXELS) {
          throw new BadDataException(file + ": declares " + w + "x" + h + " pixels, more than the limit of "
              + DataLimits.MAX_IMAGE_SIDE + " a side and " + DataLimits.MAX_IMAGE_PIXELS + " pixels; not decoded");
        }
        return reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (BadDataException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new BadDataException(file + ": cannot decode the image: " + e.getMessage(), e);
    }
  }

  /**
   * The image as {@code channels} planes of 0..255 values. 8-bit grey images are read from their
   * raster as stored: going through getRGB would apply a grey-to-sRGB gamma and change every pixel.
   */
  private static float[][] planes(BufferedImage image, int channels) {
    int w = image.getWidth();
    int h = image.getHeight();
    Raster raster = image.getRaster();
    boolean grey = raster.getNumBands() <= 2 && image.getColorModel().getColorSpace().getNumComponents() == 1;
    float[][] planes = new float[channels][w * h];
    if (grey) {
      int bits = image.getColorModel().getComponentSize(0);
      float scale = 255f / ((1 << bits) - 1);
      float[] values = raster.getSamples(0, 0, w, h, 0, (float[]) null);
      for (int c = 0; c < channels; c++) {
        for (int i = 0; i < values.length; i++) {
          planes[c][i] = values[i] * scale;
        }
      }
      return planes;
    }
    int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < rgb.length; i++) {
      int r = (rgb[i] >> 16) & 0xff;
      int g = (rgb[i] >> 8) & 0xff;
      int b = rgb[i] & 0xff;
      if (channels == 1) {
        planes[0][i] = 0.299f * r + 0.587f * g + 0.114f * b; // ITU-R BT.601 luma, as PIL's convert("L")
      } else {
        planes[0][i] = r;
        planes[1][i] = g;
        planes[2][i] = b;
      }
    }
    return planes;
  }

  private static boolean isImage(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return Files.isRegularFile(file) && EXTENSIONS.stream().anyMatch(name::endsWith);
  }

  private static List<String> subdirectories(Path directory) {
    try (Stream<Path> children = Files.list(directory)) {
      return children.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(name -> !name.startsWith("."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new DataMissingException("cannot list " + directory + ": " + e.getMessage(), e);
    }
  }

  private static List<Path> sortedEntries(Path folder) {
    try (Stream<Path> children = Files.list(folder)) {
      return children.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    } catch (IOException e) {
      throw new DataMissingException("cannot list " + folder + ": " + e.getMessage(), e);
    }
  }
}
