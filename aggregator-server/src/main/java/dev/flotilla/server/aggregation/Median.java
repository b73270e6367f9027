package dev.flotilla.server.aggregation;

/**
 * Coordinate-wise median (Yin et al. 2018), unweighted as Flower's FedMedian: with an even number of
 * updates, the mean of the two middle values. Tolerates fewer than half the parties sending anything.
 */
public final class Median extends CoordinateWise {

  @Override
  public String name() {
    return "median";
  }

  @Override
  float ofSorted(float[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (float) (((double) sorted[n / 2 - 1] + sorted[n / 2]) / 2);
  }
}
