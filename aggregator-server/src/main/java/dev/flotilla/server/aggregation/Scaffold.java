package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.model.ControlVariates;
import dev.flotilla.protocol.model.TensorSpec;
import java.util.List;

/**
 * SCAFFOLD (Karimireddy et al. 2020, control variates of option II) with global learning rate 1.
 * The job's layout is the model followed by the global control variate c ({@link ControlVariates}),
 * so c reaches the parties with the model and is checkpointed with it. A party trains with its
 * gradient corrected by c - c_i, and sends its trained model y_i followed by c + (c_i+ - c_i), i.e.
 * (x - y_i) / (K lr) (see the party's {@code ScaffoldTrainer}).
 *
 * <p>Both halves are folded into one sample-weighted mean m as they stream (memory O(model)): the
 * model half of the next global model is m (x + mean of y_i - x), the control half is c + (|S| / N)
 * (m - c) = c + (|S| / N) mean(c_i+ - c_i), with |S| / N the sampled share of parties (--fraction).
 * The paper averages the deltas without weights; weighting by samples, as for the model, keeps c the
 * sample-weighted mean of the c_i under full participation.
 */
final class Scaffold extends MeanStrategy {

  private final double fraction;
  /** The index of the first control variate tensor in the layout. */
  private int firstControl;

  Scaffold(double fraction) {
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException("--fraction must be in (0, 1], got " + fraction);
    }
    this.fraction = fraction;
  }

  @Override
  public String name() {
    return "scaffold";
  }

  @Override
  void prepare(List<TensorSpec> specs) {
    firstControl = ControlVariates.modelTensors(specs);
    if (firstControl == specs.size()) {
      throw new IllegalStateException("--strategy scaffold needs a layout with control variates (scaffold.c:*)");
    }
  }

  @Override
  boolean movesFromBase() {
    return true;
  }

  @Override
  void step(int tensor, int offset, float[] base, float[] mean, int count) {
    if (tensor < firstControl) {
      return; // the model: the weighted mean of the y_i
    }
    for (int i = 0; i < count; i++) {
      mean[i] = (float) (base[i] + fraction * ((double) mean[i] - base[i]));
    }
  }
}
