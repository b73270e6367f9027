package dev.flotilla.protocol.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The catalogue of built-in models every party and the server agree on: their tensor layouts
 * (PyTorch state_dict names and order), the shape of one input sample, and the seeded initial
 * weights (version 0 of the global model).
 *
 * <ul>
 *   <li>{@code mlp:IN-H1-...-OUT}: fully connected layers {@code fc1..fcN} with ReLU between; input [IN].
 *       Plain {@code mlp} is {@code mlp:784-200-200-10}. One output unit makes it a regression model.
 *   <li>{@code cnn}: LeNet-style, conv5(6), conv5(16), 256-120-84-10; input [1, 28, 28].
 *   <li>{@code resnet20}: He et al.'s CIFAR ResNet-20 for 3x32x32 colour images: a 3x3 stem, 3
 *       stages of 3 basic blocks with 16/32/64 channels and BatchNorm (a 1x1 projection where a stage
 *       halves the resolution), global average pooling and fc 64-10; input [3, 32, 32]. Names are
 *       PyTorch's state_dict names (examples/pytorch/flotilla_models.py), with the BatchNorm buffers
 *       running_mean and running_var (F32) and num_batches_tracked (I64, a scalar).
 * </ul>
 */
public final class ModelSpecs {

  public static final String MLP = "mlp";
  public static final String CNN = "cnn";
  public static final String RESNET20 = "resnet20";
  /** The fixed names; any {@code mlp:IN-H1-...-OUT} is built in too. */
  public static final List<String> NAMES = List.of(MLP, CNN, RESNET20);

  private static final String MLP_PREFIX = "mlp:";
  private static final String DEFAULT_MLP = "mlp:784-200-200-10";
  /** Bounds a parameterised MLP so that a typo cannot ask for a model larger than the wire carries. */
  private static final long MAX_LAYER_UNITS = 1 << 20;
  private static final int MAX_MLP_LAYERS = 64;

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

  private static final List<TensorSpec> RESNET20_LAYOUT = resnet20Layout();

  private ModelSpecs() {}

  private static List<TensorSpec> resnet20Layout() {
    List<TensorSpec> layout = new ArrayList<>();
    layout.add(new TensorSpec("conv1.weight", new long[] {16, 3, 3, 3}));
    batchNorm(layout, "bn1", 16);
    long in = 16;
    long[] widths = {16, 32, 64};
    for (int stage = 0; stage < 3; stage++) {
      for (int block = 0; block < 3; block++) {
        String prefix = "layer" + (stage + 1) + "." + block + ".";
        long out = widths[stage];
        layout.add(new TensorSpec(prefix + "conv1.weight", new long[] {out, in, 3, 3}));
        batchNorm(layout, prefix + "bn1", out);
        layout.add(new TensorSpec(prefix + "conv2.weight", new long[] {out, out, 3, 3}));
        batchNorm(layout, prefix + "bn2", out);
        if (in != out) {
          layout.add(new TensorSpec(prefix + "downsample.0.weight", new long[] {out, in, 1, 1}));
          batchNorm(layout, prefix + "downsample.1", out);
        }
        in = out;
      }
    }
    layout.add(new TensorSpec("fc.weight", new long[] {10, 64}));
    layout.add(new TensorSpec("fc.bias", new long[] {10}));
    return List.copyOf(layout);
  }

  /** A BatchNorm layer's tensors in PyTorch's state_dict order. */
  private static void batchNorm(List<TensorSpec> layout, String name, long channels) {
    layout.add(new TensorSpec(name + ".weight", new long[] {channels}));
    layout.add(new TensorSpec(name + ".bias", new long[] {channels}));
    layout.add(new TensorSpec(name + ".running_mean", new long[] {channels}));
    layout.add(new TensorSpec(name + ".running_var", new long[] {channels}));
    layout.add(new TensorSpec(name + ".num_batches_tracked", new long[] {}, DType.I64));
  }

  /** Whether {@code model} names a built-in model ("mlp", "cnn", "mlp:30-64-2", ...). */
  public static boolean isBuiltIn(String model) {
    try {
      forName(model);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The ordered tensors of a built-in model.
   *
   * @throws IllegalArgumentException for a name that is not built in, or a malformed mlp:... spec
   */
  public static List<TensorSpec> forName(String model) {
    if (model == null) {
      throw unknown(null);
    }
    if (model.equals(CNN)) {
      return CNN_LAYOUT;
    }
    if (model.equals(RESNET20)) {
      return RESNET20_LAYOUT;
    }
    if (model.equals(MLP) || model.startsWith(MLP_PREFIX)) {
      return mlpLayout(model, mlpSizes(model));
    }
    throw unknown(model);
  }

  /**
   * The shape of one input sample of a built-in model, without the batch dimension: [IN] for an
   * MLP, [1, 28, 28] for the CNN.
   */
  public static long[] inputShape(String model) {
    if (CNN.equals(model)) {
      return new long[] {1, 28, 28};
    }
    if (RESNET20.equals(model)) {
      return new long[] {3, 32, 32};
    }
    if (model != null && (model.equals(MLP) || model.startsWith(MLP_PREFIX))) {
      return new long[] {mlpSizes(model)[0]};
    }
    throw unknown(model);
  }

  /**
   * The layer sizes of an MLP spec, input first: {@code mlp} is [784, 200, 200, 10].
   *
   * @throws IllegalArgumentException naming the spec and what is wrong with it
   */
  public static long[] mlpSizes(String model) {
    String spec = MLP.equals(model) ? DEFAULT_MLP : model;
    if (spec == null || !spec.startsWith(MLP_PREFIX)) {
      throw new IllegalArgumentException("'" + model + "' is not an MLP spec mlp:IN-H1-...-OUT");
    }
    String[] parts = spec.substring(MLP_PREFIX.length()).split("-", -1);
    if (parts.length < 2 || parts.length > MAX_MLP_LAYERS + 1) {
      throw new IllegalArgumentException("model '" + model + "' must be mlp:IN-H1-...-OUT with 2 to "
          + (MAX_MLP_LAYERS + 1) + " sizes, e.g. mlp:30-64-2");
    }
    long[] sizes = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        sizes[i] = Long.parseLong(parts[i]);
      } catch (NumberFormatException e) {
        sizes[i] = -1;
      }
      if (sizes[i] < 1 || sizes[i] > MAX_LAYER_UNITS || !parts[i].equals(Long.toString(sizes[i]))) {
        throw new IllegalArgumentException("model '" + model + "': layer size '" + parts[i]
            + "' is not a whole number from 1 to " + MAX_LAYER_UNITS);
      }
    }
    return sizes;
  }

  private static List<TensorSpec> mlpLayout(String model, long[] sizes) {
    List<TensorSpec> layout = new ArrayList<>();
    for (int layer = 1; layer < sizes.length; layer++) {
      TensorSpec weight = new TensorSpec("fc" + layer + ".weight", new long[] {sizes[layer], sizes[layer - 1]});
      if (weight.elementCount() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("model '" + model + "': layer fc" + layer + " of " + weight.shapeString()
            + " has more than 2^31 - 1 values");
      }
      layout.add(weight);
      layout.add(new TensorSpec("fc" + layer + ".bias", new long[] {sizes[layer]}));
    }
    return List.copyOf(layout);
  }

  private static IllegalArgumentException unknown(String model) {
    return new IllegalArgumentException("unknown model '" + model + "'; expected one of " + NAMES
        + " or mlp:IN-H1-...-OUT (e.g. mlp:30-64-2)");
  }

  /** Total float values of a layout. */
  public static long totalElements(List<TensorSpec> specs) {
    long n = 0;
    for (TensorSpec s : specs) {
      n += s.elementCount();
    }
    return n;
  }

  /**
   * Version 0 of a model: He (Kaiming) uniform weights, U(-b, b) with b = sqrt(6 / fan_in) for the
   * ReLU networks here, and zero biases; BatchNorm starts as PyTorch's (weight and running_var 1,
   * bias, running_mean and num_batches_tracked 0). Deterministic for a seed: one
   * SplittableRandom(seed) drawn in tensor order, row-major, for the tensors of two or more dimensions.
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
      } else if (spec.name().endsWith(".running_var") || spec.shape().length == 1 && spec.name().endsWith(".weight")) {
        java.util.Arrays.fill(values, 1f); // a one-dimensional weight is a normalisation's scale
      }
      weights[t] = values;
    }
    return weights;
  }
}
