package dev.flotilla.party.train;

import dev.flotilla.protocol.model.TensorSpec;
import java.util.List;

/**
 * A diverged training (too large a learning rate) fails the round instead of sending NaN or infinity to the
 * server: the party skips the round (it is late there) and trains again in the next. The deployed DJL trainer and
 * the simulator's virtual parties check the same way.
 */
public final class Divergence {
  private Divergence() {}

  /** Throws {@link TrainerException} naming the first tensor and element that is not finite. */
  public static void requireFinite(RoundContext round, List<TensorSpec> layout, float[][] weights) {
    for (int t = 0; t < weights.length; t++) {
      for (int i = 0; i < weights[t].length; i++) {
        if (!Float.isFinite(weights[t][i])) {
          throw new TrainerException(round.describe() + " training diverged: tensor '" + layout.get(t).name()
              + "' element " + i + " is " + weights[t][i] + "; try a smaller --lr");
        }
      }
    }
  }
}
