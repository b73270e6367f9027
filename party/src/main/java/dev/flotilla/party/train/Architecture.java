package dev.flotilla.party.train;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import java.util.Locale;

/**
 * The two models of the federation, built as DJL blocks whose parameters come out of
 * {@code Block.getParameters()} in exactly the order and with exactly the shapes of the wire layout
 * ({@code dev.flotilla.protocol.model.ModelSpecs}): DJL's Linear weight is [out, in] and Conv2d's
 * [out channels, in channels, kh, kw], as in PyTorch, and each layer lists weight before bias.
 */
public enum Architecture {
  /** 784 -> 200 -> 200 -> 10 with ReLU between; input [batch, 784]. */
  MLP("mlp") {
    @Override
    public SequentialBlock newBlock() {
      return new SequentialBlock()
          .add(Linear.builder().setUnits(200).build())
          .add(Activation::relu)
          .add(Linear.builder().setUnits(200).build())
          .add(Activation::relu)
          .add(Linear.builder().setUnits(10).build());
    }

    @Override
    public Shape inputShape(long batch) {
      return new Shape(batch, 28 * 28);
    }
  },
  /**
   * The LeNet-style CNN of the federated-learning benchmarks: conv5(6) -> ReLU -> maxpool2 ->
   * conv5(16) -> ReLU -> maxpool2 -> 256 -> 120 -> 84 -> 10; input [batch, 1, 28, 28].
   */
  CNN("cnn") {
    @Override
    public SequentialBlock newBlock() {
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

    @Override
    public Shape inputShape(long batch) {
      return new Shape(batch, 1, 28, 28);
    }
  };

  private final String wireName;

  Architecture(String wireName) {
    this.wireName = wireName;
  }

  /** The name used on the wire and on the command line: "mlp" or "cnn". */
  public String wireName() {
    return wireName;
  }

  public abstract SequentialBlock newBlock();

  public abstract Shape inputShape(long batch);

  public static Architecture forName(String name) {
    String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (Architecture architecture : values()) {
      if (architecture.wireName.equals(key)) {
        return architecture;
      }
    }
    throw new IllegalArgumentException("unknown model '" + name + "'; expected mlp or cnn");
  }
}
