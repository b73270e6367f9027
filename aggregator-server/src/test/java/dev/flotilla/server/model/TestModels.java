package dev.flotilla.server.model;

import dev.flotilla.protocol.model.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/** Global models from plain arrays, and back, for tests. */
public final class TestModels {

  private TestModels() {}

  /** {@code values} as a model of one-dimensional float32 tensors named t0, t1, ... */
  public static HeapModel of(long version, float[][] values) {
    List<TensorSpec> specs = new ArrayList<>();
    for (int t = 0; t < values.length; t++) {
      specs.add(new TensorSpec("t" + t, new long[] {values[t].length}));
    }
    return new HeapModel(version, specs, values);
  }

  /** Every value of {@code model}, read through {@link GlobalModel#read}. */
  public static float[][] values(GlobalModel model) {
    return HeapModel.copyOf(model).values();
  }

  /** One tensor of {@code model}. */
  public static float[] tensor(GlobalModel model, int t) {
    float[] values = new float[model.specs().get(t).numElements()];
    model.read(t, 0, values, 0, values.length);
    return values;
  }
}
