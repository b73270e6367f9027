package dev.flotilla.party.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * Images with class labels, kept as one byte per pixel and channel (channel-major, CHW) so that the
 * full Fashion-MNIST training set takes 47 MB rather than four times that as floats; features are
 * scaled to [0, 1] one sample at a time.
 */
public final class ImageDataset implements Samples {
  private final byte[] pixels;
  private final int[] labels;
  private final int channels;
  private final int rows;
  private final int columns;
  private final int classes;

  /** Grey images with byte labels, as the idx files hold them; the class count is the largest label plus one. */
  public ImageDataset(byte[] pixels, byte[] labels, int rows, int columns) {
    this(pixels, unsigned(Objects.requireNonNull(labels, "labels")), 1, rows, columns, 0);
  }

  /**
   * Images of {@code channels x rows x columns} bytes each, labels 0..classes-1; {@code classes} 0
   * means the largest label plus one (at least 2).
   */
  public ImageDataset(byte[] pixels, int[] labels, int channels, int rows, int columns, int classes) {
    this.pixels = Objects.requireNonNull(pixels, "pixels");
    this.labels = Objects.requireNonNull(labels, "labels");
    if (channels <= 0 || rows <= 0 || columns <= 0) {
      throw new IllegalArgumentException("image shape must be positive, got " + channels + "x" + rows + "x" + columns);
    }
    if ((long) labels.length * channels * rows * columns != pixels.length) {
      throw new IllegalArgumentException(labels.length + " labels do not match " + pixels.length + " pixel bytes of "
          + channels + "x" + rows + "x" + columns + " images");
    }
    int largest = -1;
    for (int label : labels) {
      if (label < 0) {
        throw new IllegalArgumentException("negative label " + label);
      }
      largest = Math.max(largest, label);
    }
    if (classes != 0 && largest >= classes) {
      throw new IllegalArgumentException("label " + largest + " out of range for " + classes + " classes");
    }
    this.channels = channels;
    this.rows = rows;
    this.columns = columns;
    this.classes = classes != 0 ? classes : Math.max(2, largest + 1);
  }

  private static int[] unsigned(byte[] labels) {
    int[] values = new int[labels.length];
    for (int i = 0; i < labels.length; i++) {
      values[i] = Byte.toUnsignedInt(labels[i]);
    }
    return values;
  }

  @Override
  public int size() {
    return labels.length;
  }

  public int channels() {
    return channels;
  }

  public int rows() {
    return rows;
  }

  public int columns() {
    return columns;
  }

  /** Bytes (and features) per image: channels x rows x columns. */
  public int pixelsPerImage() {
    return channels * rows * columns;
  }

  @Override
  public long[] sampleShape() {
    return new long[] {channels, rows, columns};
  }

  @Override
  public void copyFeatures(int index, float[] target, int offset) {
    copyScaled(index, target, offset);
  }

  @Override
  public float label(int index) {
    return labels[index];
  }

  @Override
  public int classOf(int index) {
    return labels[index];
  }

  @Override
  public Task task() {
    return Task.classification(classes);
  }

  /** The number of classes: given by the reader (e.g. the class folders), else the largest label plus one. */
  public int classCount() {
    return classes;
  }

  /** Copies image {@code index} into {@code target} at {@code offset}, scaled to [0, 1]. */
  public void copyScaled(int index, float[] target, int offset) {
    int size = pixelsPerImage();
    int base = index * size;
    for (int i = 0; i < size; i++) {
      target[offset + i] = Byte.toUnsignedInt(pixels[base + i]) / 255f;
    }
  }

  /** The raw bytes of image {@code index} (CHW), e.g. to compare readers. */
  public byte[] imageBytes(int index) {
    int size = pixelsPerImage();
    Objects.checkIndex(index, labels.length);
    return Arrays.copyOfRange(pixels, index * size, (index + 1) * size);
  }

  /** A new dataset holding the samples at {@code indices}, in that order. */
  @Override
  public ImageDataset subset(int[] indices) {
    int size = pixelsPerImage();
    byte[] subsetPixels = new byte[Math.multiplyExact(indices.length, size)];
    int[] subsetLabels = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      int index = Objects.checkIndex(indices[i], labels.length);
      System.arraycopy(pixels, index * size, subsetPixels, i * size, size);
      subsetLabels[i] = labels[index];
    }
    return new ImageDataset(subsetPixels, subsetLabels, channels, rows, columns, classes);
  }

  @Override
  public ImageDataset head(int count) {
    int n = Math.min(count, size());
    int[] indices = new int[n];
    Arrays.setAll(indices, i -> i);
    return subset(indices);
  }

  /** How many samples carry each class, indexed by class. */
  public int[] labelCounts() {
    int[] counts = new int[classes];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }
}
