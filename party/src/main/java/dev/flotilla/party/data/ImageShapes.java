package dev.flotilla.party.data;

import dev.flotilla.protocol.model.ModelSpecs;
import java.util.Optional;

/**
 * The image shape (channels x height x width) a built-in model takes, for reading image folders
 * before the party has joined: images must be decoded and resized before the job's model is
 * known. A model with image input (cnn: 1x28x28) gives its own shape; an MLP of IN inputs takes
 * square grey images when IN is a square (784: 1x28x28), else square RGB ones when IN/3 is
 * (3072: 3x32x32); any other IN needs {@code --input-shape}.
 */
public final class ImageShapes {
  private ImageShapes() {}

  public static Optional<int[]> forModel(String model) {
    long[] input = ModelSpecs.inputShape(model);
    if (input.length == 3) {
      return Optional.of(new int[] {(int) input[0], (int) input[1], (int) input[2]});
    }
    if (input.length != 1) {
      return Optional.empty();
    }
    long side = squareRoot(input[0]);
    if (side > 0) {
      return Optional.of(new int[] {1, (int) side, (int) side});
    }
    side = input[0] % 3 == 0 ? squareRoot(input[0] / 3) : -1;
    return side > 0 ? Optional.of(new int[] {3, (int) side, (int) side}) : Optional.empty();
  }

  /** The number of inputs a built-in model takes per sample. */
  public static long inputSize(String model) {
    long n = 1;
    for (long d : ModelSpecs.inputShape(model)) {
      n *= d;
    }
    return n;
  }

  private static long squareRoot(long n) {
    long root = Math.round(Math.sqrt(n));
    return root * root == n && root <= DataLimits.MAX_IMAGE_SIDE ? root : -1;
  }
}
