package dev.flotilla.bench.quality;

import java.util.Collections;
import java.util.List;

/**
 * The test-set accuracy of a federation's global model after each round, entry 0 being the initial model
 * (0..1; null where the run did not report it).
 */
record Curve(String source, List<Double> accuracy) {

  Curve {
    accuracy = Collections.unmodifiableList(new java.util.ArrayList<>(accuracy));
  }

  /** Rounds after the initial model. */
  int rounds() {
    return accuracy.size() - 1;
  }

  Double afterRound(int round) {
    return round >= 0 && round < accuracy.size() ? accuracy.get(round) : null;
  }
}
