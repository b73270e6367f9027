package dev.flotilla.party.train;

import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import dev.flotilla.protocol.model.ModelSpecs;
import java.util.List;
import java.util.function.Supplier;

/**
 * A built-in model of {@link ModelSpecs} as a DJL block whose parameters come out of
 * {@code Block.getParameters()} in exactly the order and with exactly the shapes of the wire layout
 * (integer tensors such as a BatchNorm counter aside, see {@link LocalModel}): DJL's Linear weight is
 * [out, in] and Conv2d's [out channels, in channels, kh, kw], as in PyTorch, and each layer lists
 * weight before bias.
 */
public final class Architecture {
  private final String name;
  private final long[] sampleShape;
  private final Supplier<SequentialBlock> blocks;

  private Architecture(String name, long[] sampleShape, Supplier<SequentialBlock> blocks) {
    this.name = name;
    this.sampleShape = sampleShape;
    this.blocks = blocks;
  }

  /**
   * The architecture of a built-in model name ("mlp", "mlp:30-64-2", "cnn").
   *
   * @throws IllegalArgumentException for a name {@link ModelSpecs} does not know
   */
  public static Architecture forName(String name) {
    long[] sampleShape = ModelSpecs.inputShape(name);
    if (ModelSpecs.CNN.equals(name)) {
      return new Architecture(name, sampleShape, Architecture::lenet);
    }
    if (ModelSpecs.RESNET20.equals(name)) {
      return new Architecture(name, sampleShape, Architecture::resnet20);
    }
    long[] sizes = ModelSpecs.mlpSizes(name);
    return new Architecture(name, sampleShape, () -> mlp(sizes));
  }

  /** Linear layers of sizes[1..] units with ReLU between; input [batch, sizes[0]]. */
  private static SequentialBlock mlp(long[] sizes) {
    SequentialBlock block = new SequentialBlock();
    for (int layer = 1; layer < sizes.length; layer++) {
      if (layer > 1) {
        block.add(Activation::relu);
      }
      block.add(Linear.builder().setUnits(sizes[layer]).build());
    }
    return block;
  }

  /**
   * The LeNet-style CNN of the federated-learning benchmarks: conv5(6) -> ReLU -> maxpool2 ->
   * conv5(16) -> ReLU -> maxpool2 -> 256 -> 120 -> 84 -> 10; input [batch, 1, 28, 28].
   */
  private static SequentialBlock lenet() {
    return new SequentialBlock()
        .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(6).build())
        .add(Activation::relu)
        .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
        .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(16).build())
        .add(Activation::relu)
        .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(120).build())
        .add(Activation::relu)
        .add(Linear.builder().setUnits(84).build())
        .add(Activation::relu)
        .add(Linear.builder().setUnits(10).build());
  }

  /**
   * He et al.'s CIFAR ResNet-20 (examples/pytorch/flotilla_models.py): conv3x3(16) -> BN -> ReLU,
   * 3 stages of 3 basic blocks (16, 32, 64 channels; the first block of stages 2 and 3 has stride 2
   * and a 1x1 conv + BN projection shortcut), global average pooling, fc 64 -> 10. DJL's BatchNorm
   * lists gamma, beta, runningMean, runningVar: PyTorch's weight, bias, running_mean, running_var.
   */
  private static SequentialBlock resnet20() {
    SequentialBlock net = new SequentialBlock()
        .add(conv3x3(16, 1))
        .add(batchNorm())
        .add(Activation::relu);
    int in = 16;
    for (int width : new int[] {16, 32, 64}) {
      for (int block = 0; block < 3; block++) {
        int stride = block == 0 && width != 16 ? 2 : 1;
        net.add(basicBlock(width, stride, in != width));
        in = width;
      }
    }
    return net.add(Pool.globalAvgPool2dBlock())
        .add(Linear.builder().setUnits(10).build());
  }

  /** relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); the main path's parameters come first, as in PyTorch. */
  private static Block basicBlock(int width, int stride, boolean project) {
    SequentialBlock main = new SequentialBlock()
        .add(conv3x3(width, stride))
        .add(batchNorm())
        .add(Activation::relu)
        .add(conv3x3(width, 1))
        .add(batchNorm());
    Block shortcut = project
        ? new SequentialBlock()
            .add(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(width).optStride(new Shape(stride, stride))
                .optBias(false).build())
            .add(batchNorm())
        : Blocks.identityBlock();
    return new ParallelBlock(
        outputs -> new NDList(Activation.relu(outputs.get(0).singletonOrThrow().add(outputs.get(1).singletonOrThrow()))),
        List.of(main, shortcut));
  }

  private static Conv2d conv3x3(int filters, int stride) {
    return Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(filters).optStride(new Shape(stride, stride))
        .optPadding(new Shape(1, 1)).optBias(false).build();
  }

  /** PyTorch's BatchNorm2d defaults: eps 1e-5, running statistics moving by 0.1 of the batch's. */
  private static BatchNorm batchNorm() {
    return BatchNorm.builder().optEpsilon(1e-5f).optMomentum(0.9f).build();
  }

  /** The built-in's name as on the wire and on the command line. */
  public String name() {
    return name;
  }

  /** A new, uninitialised block. */
  public SequentialBlock newBlock() {
    return blocks.get();
  }

  /** The shape of one input sample, without the batch dimension. */
  public long[] sampleShape() {
    return sampleShape.clone();
  }

  /** Features per input sample. */
  public int featuresPerSample() {
    long n = 1;
    for (long d : sampleShape) {
      n *= d;
    }
    return Math.toIntExact(n);
  }

  /** The input shape of a batch of {@code batch} samples. */
  public Shape inputShape(long batch) {
    long[] dims = new long[sampleShape.length + 1];
    dims[0] = batch;
    System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
    return new Shape(dims);
  }

  @Override
  public String toString() {
    return name;
  }
}
