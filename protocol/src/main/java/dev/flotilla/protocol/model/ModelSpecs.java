package dev.flotilla.protocol.model;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The fixed tensor layouts of the models every party and the server agree on, and the seeded
 * initial weights (version 0 of the global model).
 */
public final class ModelSpecs {

  public static final String MLP = "mlp";
  public static final String CNN = "cnn";
  public static final List<String> NAMES = List.of(MLP, CNN);

  private static final List<TensorSpec> MLP_LAYOUT = List.of(
      new TensorSpec("fc1.weight", new long[] {200, 784}),
      new TensorSpec("fc1.bias", new long[] {200}),
      new TensorSpec("fc2.weight", new long[] {200, 200}),
      new TensorSpec("fc2.bias", new long[] {200}),
      new TensorSpec("fc3.weight", new long[] {10, 200}),
      new TensorSpec("fc3.bias", new long[] {10}));

  private static final List<TensorSpec> CNN_LAYOUT = List.of(
      new TensorSpec("conv1.weight", new long[] {6, 1, 5, 5}),
      new TensorSpec("conv1.bias", new long[] {6}),
      new TensorSpec("conv2.weight", new long[] {16, 6, 5, 5}),
      new TensorSpec("conv2.bias", new long[] {16}),
      new TensorSpec("fc1.weight", new long[] {120, 256}),
      new TensorSpec("fc1.bias", new long[] {120}),
      new TensorSpec("fc2.weight", new long[] {84, 120}),
      new TensorSpec("fc2.bias", new long[] {84}),
      new TensorSpec("fc3.weight", new long[] {10, 84}),
      new TensorSpec("fc3.bias", new long[] {10}));

  private ModelSpecs() {}

  /**
   * The ordered tensors of a model.
   *
   * @throws IllegalArgumentException for a name other than "mlp" or "cnn"
   */
  public static List<TensorSpec> forName(String model) {
    return switch (model) {
      case MLP -> MLP_LAYOUT;
      case CNN -> CNN_LAYOUT;
      default -> throw new IllegalArgumentException("unknown model '" + model + "'; expected one of " + NAMES);
    };
  }

  /** Total float values of a layout. */
  public static long totalElements(List<TensorSpec> specs) {
    long n = 0;
    for (TensorSpec s : specs) {
      n += s.numElements();
    }
    return n;
  }

  /**
   * Version 0 of a model: He (Kaiming) uniform weights, U(-b, b) with b = sqrt(6 / fan_in) for the
   * ReLU networks here, and zero biases. Deterministic for a seed: one SplittableRandom(seed)
   * drawn in tensor order, row-major.
   */
  public static float[][] initialWeights(String model, long seed) {
    List<TensorSpec> specs = forName(model);
    SplittableRandom random = new SplittableRandom(seed);
    float[][] weights = new float[specs.size()][];
    for (int t = 0; t < specs.size(); t++) {
      TensorSpec spec = specs.get(t);
      float[] values = new float[spec.numElements()];
      if (spec.shape().length > 1) {
        double bound = Math.sqrt(6.0 / spec.fanIn());
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
      }
      weights[t] = values;
    }
    return weights;
  }
}
