package dev.flotilla.server.aggregate;

import java.util.ArrayList;
import java.util.List;

/**
 * The weighted mean of reported metric values (accuracy, loss) that stays finite for any finite
 * inputs: each value is scaled by its share of the total weight before summing, so neither a huge
 * value times a large weight nor the sum of huge values can overflow to infinity, which the status
 * file could not carry as JSON.
 */
public final class WeightedMean {

  private final List<double[]> entries = new ArrayList<>();
  private double totalWeight;

  /** Adds a finite value with a weight > 0 (anything else is ignored). */
  public WeightedMean add(double value, double weight) {
    if (Double.isFinite(value) && weight > 0 && Double.isFinite(weight)) {
      entries.add(new double[] {value, weight});
      totalWeight += weight;
    }
    return this;
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The mean, or null when nothing was added. */
  public Double value() {
    if (entries.isEmpty()) {
      return null;
    }
    double mean = 0;
    for (double[] e : entries) {
      mean += e[0] * (e[1] / totalWeight);
    }
    // shares sum to 1 up to rounding, which could carry a mean of values near Double.MAX_VALUE past it
    return Math.max(-Double.MAX_VALUE, Math.min(Double.MAX_VALUE, mean));
  }
}
