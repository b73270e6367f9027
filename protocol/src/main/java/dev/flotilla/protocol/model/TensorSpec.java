package dev.flotilla.protocol.model;

import dev.flotilla.protocol.v1.TensorInfo;
import java.util.Arrays;
import java.util.Objects;

/** A named float32 tensor of a fixed shape. */
public record TensorSpec(String name, long[] shape) {

  public TensorSpec {
    Objects.requireNonNull(name, "name");
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

  /** Number of float values in the tensor. */
  public int numElements() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return Math.toIntExact(n);
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
    TensorInfo.Builder b = TensorInfo.newBuilder().setName(name).setDtype(TensorInfo.DType.FLOAT32);
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
    return o instanceof TensorSpec t && t.name.equals(name) && Arrays.equals(t.shape, shape);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
