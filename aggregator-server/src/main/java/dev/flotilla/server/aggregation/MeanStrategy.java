package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.model.GlobalModel;
import java.nio.file.Path;
import java.util.List;

/**
 * A streaming strategy: the next model follows, value by value, from the sample-weighted mean of
 * the round's updates (and, for server optimisers, from the base model and the optimiser state).
 */
abstract class MeanStrategy implements Strategy {

  @Override
  public final RoundAggregation begin(GlobalModel base, Path spillDirectory) {
    prepare(base.specs());
    return new StreamingRound(this, base, spillDirectory);
  }

  /** Sizes state (if any) to the layout before an attempt starts. */
  void prepare(List<TensorSpec> specs) {}

  /** Whether {@link #step} reads the base model (FedAvg does not). */
  abstract boolean movesFromBase();

  /**
   * Turns {@code mean[0..count)}, the weighted mean of {@code count} values of {@code tensor} from
   * {@code offset}, into the next model's values in place; {@code base} holds the base model's values
   * there when {@link #movesFromBase()}, else it is null. Called once per block, in layout order.
   */
  abstract void step(int tensor, int offset, float[] base, float[] mean, int count);
}
