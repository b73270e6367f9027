package dev.flotilla.server.model;

import dev.flotilla.protocol.model.TensorSpec;
import java.util.List;

/** A global model held in the heap, one float array per tensor. */
public final class HeapModel implements GlobalModel {

  private final long version;
  private final List<TensorSpec> specs;
  private final float[][] values;

  /** Takes ownership of {@code values}: nobody may modify them afterwards. */
  public HeapModel(long version, List<TensorSpec> specs, float[][] values) {
    if (values.length != specs.size()) {
      throw new IllegalArgumentException(values.length + " tensors for a layout of " + specs.size());
    }
    for (int t = 0; t < values.length; t++) {
      if (values[t].length != specs.get(t).numElements()) {
        throw new IllegalArgumentException("tensor " + specs.get(t).name() + " has " + values[t].length
            + " values, its shape " + specs.get(t).numElements());
      }
    }
    this.version = version;
    this.specs = List.copyOf(specs);
    this.values = values;
  }

  @Override
  public long version() {
    return version;
  }

  @Override
  public List<TensorSpec> specs() {
    return specs;
  }

  @Override
  public void read(int tensor, int offset, float[] dst, int at, int count) {
    System.arraycopy(values[tensor], offset, dst, at, count);
  }

  /** A copy of {@code model} in the heap (for tests and small models). */
  public static HeapModel copyOf(GlobalModel model) {
    float[][] values = new float[model.specs().size()][];
    for (int t = 0; t < values.length; t++) {
      values[t] = new float[model.specs().get(t).numElements()];
      model.read(t, 0, values[t], 0, values[t].length);
    }
    return new HeapModel(model.version(), model.specs(), values);
  }

  /** The arrays themselves (read-only by contract). */
  public float[][] values() {
    return values;
  }

  /** Collects a model written block by block into fresh arrays. */
  public static final class Builder implements ModelWriter {

    private final List<TensorSpec> specs;
    private final float[][] values;

    public Builder(List<TensorSpec> specs) {
      this.specs = List.copyOf(specs);
      this.values = new float[specs.size()][];
      for (int t = 0; t < values.length; t++) {
        values[t] = new float[specs.get(t).numElements()];
      }
    }

    @Override
    public void write(int tensor, int offset, float[] src, int at, int count) {
      System.arraycopy(src, at, values[tensor], offset, count);
    }

    public HeapModel build(long version) {
      return new HeapModel(version, specs, values);
    }
  }
}
