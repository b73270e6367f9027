package dev.flotilla.server.aggregation;

/**
 * Coordinate-wise trimmed mean (Yin et al. 2018), unweighted as Flower's FedTrimmedAvg: of the n
 * values of a coordinate, the floor(fraction x n) smallest and as many largest are dropped and the
 * rest averaged. Tolerates up to that many poisoned parties; fraction 0 is the plain mean.
 */
public final class TrimmedMean extends CoordinateWise {

  private final double fraction;

  public TrimmedMean(double fraction) {
    if (!(fraction >= 0 && fraction < 0.5)) {
      throw new IllegalArgumentException("--trim-fraction must be in [0, 0.5), got " + fraction);
    }
    this.fraction = fraction;
  }

  @Override
  public String name() {
    return "trimmed-mean";
  }

  /** Values dropped at each end of a column of {@code n}; fewer than n / 2, so at least one is kept. */
  int trimmed(int n) {
    return (int) Math.floor(fraction * n);
  }

  @Override
  float ofSorted(float[] sorted) {
    int k = trimmed(sorted.length);
    double sum = 0;
    for (int i = k; i < sorted.length - k; i++) {
      sum += sorted[i];
    }
    return (float) (sum / (sorted.length - 2 * k));
  }
}
