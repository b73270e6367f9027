package dev.flotilla.party.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * Grey-scale images with integer labels, kept as the raw bytes of the idx files (one byte per pixel)
 * so that the full Fashion-MNIST training set takes 47 MB rather than four times that as floats.
 */
public final class ImageDataset implements Samples {
  private final byte[] pixels;
  private final byte[] labels;
  private final int rows;
  private final int columns;

  public ImageDataset(byte[] pixels, byte[] labels, int rows, int columns) {
    this.pixels = Objects.requireNonNull(pixels, "pixels");
    this.labels = Objects.requireNonNull(labels, "labels");
    if (rows <= 0 || columns <= 0) {
      throw new IllegalArgumentException("image size must be positive, got " + rows + "x" + columns);
    }
    if ((long) labels.length * rows * columns != pixels.length) {
      throw new IllegalArgumentException(
          labels.length + " labels do not match " + pixels.length + " pixel bytes of " + rows + "x" + columns + " images");
    }
    this.rows = rows;
    this.columns = columns;
  }

  public int size() {
    return labels.length;
  }

  public int rows() {
    return rows;
  }

  public int columns() {
    return columns;
  }

  public int pixelsPerImage() {
    return rows * columns;
  }

  @Override
  public long[] sampleShape() {
    return new long[] {1, rows, columns};
  }

  @Override
  public void copyFeatures(int index, float[] target, int offset) {
    copyScaled(index, target, offset);
  }

  /** The label of sample {@code index}, 0..255. */
  @Override
  public float label(int index) {
    return Byte.toUnsignedInt(labels[index]);
  }

  @Override
  public int classOf(int index) {
    return Byte.toUnsignedInt(labels[index]);
  }

  @Override
  public Task task() {
    return Task.classification(Math.max(2, classCount()));
  }

  /** The number of distinct label values (the largest label plus one). */
  public int classCount() {
    int max = -1;
    for (byte label : labels) {
      max = Math.max(max, Byte.toUnsignedInt(label));
    }
    return max + 1;
  }

  /** Copies image {@code index} into {@code target} at {@code offset}, scaled to [0, 1]. */
  public void copyScaled(int index, float[] target, int offset) {
    int size = pixelsPerImage();
    int base = index * size;
    for (int i = 0; i < size; i++) {
      target[offset + i] = Byte.toUnsignedInt(pixels[base + i]) / 255f;
    }
  }

  /** A new dataset holding the samples at {@code indices}, in that order. */
  @Override
  public ImageDataset subset(int[] indices) {
    int size = pixelsPerImage();
    byte[] subsetPixels = new byte[indices.length * size];
    byte[] subsetLabels = new byte[indices.length];
    for (int i = 0; i < indices.length; i++) {
      int index = Objects.checkIndex(indices[i], labels.length);
      System.arraycopy(pixels, index * size, subsetPixels, i * size, size);
      subsetLabels[i] = labels[index];
    }
    return new ImageDataset(subsetPixels, subsetLabels, rows, columns);
  }

  /** The first {@code count} samples (all of them when there are fewer). */
  @Override
  public ImageDataset head(int count) {
    int n = Math.min(count, size());
    int[] indices = new int[n];
    Arrays.setAll(indices, i -> i);
    return subset(indices);
  }

  /** How many samples carry each label, indexed by label. */
  public int[] labelCounts() {
    int[] counts = new int[Math.max(classCount(), 0)];
    for (byte label : labels) {
      counts[Byte.toUnsignedInt(label)]++;
    }
    return counts;
  }
}
