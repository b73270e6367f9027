package dev.flotilla.party.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Samples from arrays (NumPy or safetensors): the features kept as the file's raw bytes in its
 * element type and byte order, converted to float one sample at a time, so a uint8 image array
 * costs one byte per value. Values are used as stored (scale them before saving).
 */
public final class ArraySamples implements Samples {
  private final ByteBuffer data;
  private final ElementType type;
  private final long[] sampleShape;
  private final int width;
  private final float[] labels;
  private final Task task;

  ArraySamples(byte[] data, ByteOrder order, ElementType type, long[] sampleShape, float[] labels, Task task) {
    this.data = ByteBuffer.wrap(Objects.requireNonNull(data, "data")).order(order);
    this.type = type;
    this.sampleShape = sampleShape.clone();
    long n = 1;
    for (long d : sampleShape) {
      n *= d;
    }
    this.width = Math.toIntExact(n);
    this.labels = Objects.requireNonNull(labels, "labels");
    this.task = Objects.requireNonNull(task, "task");
    if ((long) labels.length * width * type.bytes() != data.length) {
      throw new IllegalArgumentException(labels.length + " labels do not match " + data.length + " bytes of "
          + width + " " + type + " values each");
    }
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public long[] sampleShape() {
    return sampleShape.clone();
  }

  @Override
  public int featuresPerSample() {
    return width;
  }

  @Override
  public void copyFeatures(int index, float[] target, int offset) {
    int base = Objects.checkIndex(index, labels.length) * width * type.bytes();
    for (int j = 0; j < width; j++) {
      target[offset + j] = (float) type.get(data, base + j * type.bytes());
    }
  }

  @Override
  public float label(int index) {
    return labels[index];
  }

  @Override
  public Task task() {
    return task;
  }

  @Override
  public ArraySamples subset(int[] indices) {
    int sampleBytes = width * type.bytes();
    byte[] source = data.array();
    byte[] bytes = new byte[Math.multiplyExact(indices.length, sampleBytes)];
    float[] subsetLabels = new float[indices.length];
    for (int i = 0; i < indices.length; i++) {
      int index = Objects.checkIndex(indices[i], labels.length);
      System.arraycopy(source, index * sampleBytes, bytes, i * sampleBytes, sampleBytes);
      subsetLabels[i] = labels[index];
    }
    return new ArraySamples(bytes, data.order(), type, sampleShape, subsetLabels, task);
  }
}
