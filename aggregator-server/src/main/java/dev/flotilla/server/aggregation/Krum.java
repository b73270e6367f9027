package dev.flotilla.server.aggregation;

import dev.flotilla.server.model.ModelWriter;
import java.io.IOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Krum and multi-Krum (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine Tolerant
 * Gradient Descent"). With f parties assumed Byzantine, each update's score is the sum of its
 * squared distances to its n - f - 2 nearest other updates; Krum's next model is the update with
 * the lowest score, multi-Krum's the unweighted mean of the m lowest-scored ones (unweighted as in
 * the paper: a party's sample count is its own claim). Requires n > 2f + 2.
 *
 * <p>Two passes over the spill files: the first sums the n x n squared distances block by block
 * (n^2 doubles of RAM, n^2 / 2 x model operations), the second reads only the selected updates.
 * Ties in score go to the party whose name sorts first, so the outcome does not depend on timing.
 *
 * <p>A round with too few updates ({@code n <= 2f + 2}) cannot be aggregated: the command line
 * refuses a --min-parties that would let one reach {@link #finish}; used directly, combining fails
 * with an IllegalStateException that names n and f.
 */
public final class Krum extends SpilledStrategy {

  private final int byzantine;
  private final int select;
  private final boolean multi;

  /**
   * @param byzantine f, the parties assumed Byzantine (>= 0)
   * @param select m, how many lowest-scored updates are averaged: 1 for Krum; 0 for multi-Krum's
   *     n - f (all but as many as may be Byzantine)
   */
  private Krum(int byzantine, int select, boolean multi) {
    if (byzantine < 0) {
      throw new IllegalArgumentException("--byzantine-parties must be >= 0, got " + byzantine);
    }
    if (select < 0) {
      throw new IllegalArgumentException("--krum-select must be >= 0 (0: n - f), got " + select);
    }
    this.byzantine = byzantine;
    this.select = select;
    this.multi = multi;
  }

  public static Krum krum(int byzantine) {
    return new Krum(byzantine, 1, false);
  }

  public static Krum multiKrum(int byzantine, int select) {
    return new Krum(byzantine, select, true);
  }

  @Override
  public String name() {
    return multi ? "multi-krum" : "krum";
  }

  /** The fewest updates a round needs: 2f + 3, and at least m + f for multi-Krum's m. */
  public int minimumUpdates() {
    return Math.max(2 * byzantine + 3, select + byzantine);
  }

  @Override
  void combine(SpilledUpdates updates, ModelWriter next) throws IOException {
    int n = updates.size();
    if (n < minimumUpdates()) {
      throw new IllegalStateException(name() + " with --byzantine-parties " + byzantine
          + (multi && select > 0 ? " and --krum-select " + select : "") + " needs at least " + minimumUpdates()
          + " updates, the round has " + n);
    }
    int[] chosen = choose(distances(updates), n);
    int m = chosen.length;
    float[] out = new float[SpilledUpdates.blockValues(m)];
    updates.forEachBlock(chosen, (tensor, offset, values, count) -> {
      for (int i = 0; i < count; i++) {
        double sum = 0;
        for (int p = 0; p < m; p++) {
          sum += values[p][i];
        }
        out[i] = (float) (sum / m);
      }
      next.write(tensor, offset, out, 0, count);
    });
  }

  /** Squared L2 distances between every two updates, summed block by block. */
  static double[][] distances(SpilledUpdates updates) throws IOException {
    int n = updates.size();
    double[][] d = new double[n][n];
    updates.forEachBlock((tensor, offset, values, count) -> {
      for (int a = 0; a < n; a++) {
        float[] va = values[a];
        for (int b = a + 1; b < n; b++) {
          float[] vb = values[b];
          double s = 0;
          for (int i = 0; i < count; i++) {
            double diff = (double) va[i] - vb[i];
            s += diff * diff;
          }
          d[a][b] += s;
        }
      }
    });
    for (int a = 0; a < n; a++) {
      for (int b = a + 1; b < n; b++) {
        d[b][a] = d[a][b];
      }
    }
    return d;
  }

  /** Indices of the updates to average: the m lowest Krum scores, ascending (ties: lower index = party name). */
  int[] choose(double[][] distances, int n) {
    double[] score = scores(distances, byzantine);
    int m = select == 0 ? n - byzantine : select;
    return IntStream.range(0, n).boxed()
        .sorted(Comparator.<Integer>comparingDouble(i -> score[i]).thenComparingInt(i -> i))
        .limit(m).mapToInt(Integer::intValue).toArray();
  }

  /** Each update's score: the sum of its n - f - 2 smallest squared distances to the others. */
  static double[] scores(double[][] distances, int byzantine) {
    int n = distances.length;
    int nearest = n - byzantine - 2;
    double[] score = new double[n];
    double[] others = new double[n - 1];
    for (int a = 0; a < n; a++) {
      int k = 0;
      for (int b = 0; b < n; b++) {
        if (b != a) {
          others[k++] = distances[a][b];
        }
      }
      Arrays.sort(others);
      double s = 0;
      for (int i = 0; i < nearest; i++) {
        s += others[i];
      }
      score[a] = s;
    }
    return score;
  }
}
