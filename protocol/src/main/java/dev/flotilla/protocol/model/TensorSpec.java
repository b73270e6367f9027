package dev.flotilla.protocol.model;

import dev.flotilla.protocol.v1.TensorInfo;
import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor of a fixed shape, stored in model files as {@code dtype}; on the wire and in
 * aggregation its values are float32. A scalar has the empty shape and one element.
 */
public record TensorSpec(String name, long[] shape, DType dtype) {

  /** A float32 tensor. */
  public TensorSpec(String name, long[] shape) {
    this(name, shape, DType.F32);
  }

  public TensorSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    shape = shape.clone();
    for (long d : shape) {
      if (d <= 0) {
        throw new IllegalArgumentException("tensor " + name + " has a non-positive dimension: " + Arrays.toString(shape));
      }
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of values in the tensor. */
  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * Number of values, as the length of the {@code float[]} that holds them in memory.
   *
   * @throws ArithmeticException for a tensor of more than 2^31 - 1 values (8 GiB of float32)
   */
  public int numElements() {
    return Math.toIntExact(elementCount());
  }

  /** Bytes of the tensor in a model file of its dtype. */
  public long fileBytes() {
    return Math.multiplyExact(elementCount(), (long) dtype.bytes());
  }

  /** The same tensor stored as {@code newType}. */
  public TensorSpec withDtype(DType newType) {
    return new TensorSpec(name, shape, newType);
  }

  /** The tensor a wire header describes. */
  public static TensorSpec fromInfo(TensorInfo info) {
    return new TensorSpec(info.getName(), info.getShapeList().stream().mapToLong(Long::longValue).toArray(),
        DType.fromWire(info.getDtype()));
  }

  /** Inputs feeding one output unit: the product of every dimension but the first. */
  public int fanIn() {
    long n = 1;
    for (int i = 1; i < shape.length; i++) {
      n *= shape[i];
    }
    return Math.toIntExact(n);
  }

  public boolean sameShapeAs(java.util.List<Long> otherShape) {
    if (otherShape.size() != shape.length) {
      return false;
    }
    for (int i = 0; i < shape.length; i++) {
      if (otherShape.get(i) != shape[i]) {
        return false;
      }
    }
    return true;
  }

  public TensorInfo toInfo() {
    TensorInfo.Builder b = TensorInfo.newBuilder().setName(name).setDtype(dtype.toWire());
    for (long d : shape) {
      b.addShape(d);
    }
    return b.build();
  }

  public String shapeString() {
    return Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t && t.name.equals(name) && Arrays.equals(t.shape, shape) && t.dtype == dtype;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + Arrays.hashCode(shape)) + dtype.hashCode();
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape) + (dtype == DType.F32 ? "" : " " + dtype.safetensorsName());
  }
}
