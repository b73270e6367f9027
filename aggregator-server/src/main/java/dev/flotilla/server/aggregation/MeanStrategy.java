package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.model.GlobalModel;
import io.grpc.StatusException;
import java.nio.file.Path;
import java.util.List;

/**
 * A streaming strategy: the next model follows, value by value, from the sample-weighted mean of
 * the round's updates (and, for server optimisers, from the base model and the optimiser state).
 */
abstract class MeanStrategy implements Strategy {

  /** The sum of the last attempt that ended; attempts never overlap, so a job allocates one. */
  private final Object idleSumLock = new Object();
  private RunningSum idleSum;

  @Override
  public final RoundAggregation begin(GlobalModel base, Path spillDirectory) {
    prepare(base.specs());
    return new StreamingRound(this, base, spillDirectory);
  }

  /**
   * The running sum for a new attempt: the previous attempt's (already empty, see {@link
   * StreamingRound#close}) when it has ended and has this layout, else a new one. A model of several
   * GiB thus allocates its sum once per process instead of at every round's start.
   */
  RunningSum takeSum(List<TensorSpec> specs) {
    synchronized (idleSumLock) {
      RunningSum sum = idleSum;
      idleSum = null;
      if (sum != null && sum.fits(specs)) {
        return sum;
      }
    }
    return new RunningSum(specs);
  }

  /** Keeps an ended attempt's sum, emptied, for the next attempt. */
  void giveBack(RunningSum emptied) {
    synchronized (idleSumLock) {
      idleSum = emptied;
    }
  }

  /** Sizes state (if any) to the layout before an attempt starts. */
  void prepare(List<TensorSpec> specs) {}

  /**
   * What an update counts for in the mean, from its header: by default its sample count, one step.
   *
   * @throws StatusException when the header lacks what the strategy needs or claims more than it could
   */
  Weighing weigh(String party, UpdateFacts facts) throws StatusException {
    return new Weighing(facts.samples(), facts.samples(), 1);
  }

  /** Called once per finish, before the first {@link #step}, with what the committed updates claimed. */
  void beforeSteps(RoundTally tally) {}

  /** Whether {@link #step} reads the base model (FedAvg does not). */
  abstract boolean movesFromBase();

  /**
   * Turns {@code mean[0..count)}, the weighted mean of {@code count} values of {@code tensor} from
   * {@code offset}, into the next model's values in place; {@code base} holds the base model's values
   * there when {@link #movesFromBase()}, else it is null. Called once per block, in layout order.
   */
  abstract void step(int tensor, int offset, float[] base, float[] mean, int count);
}
