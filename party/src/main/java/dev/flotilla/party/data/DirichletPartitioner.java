package dev.flotilla.party.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Label skew after Hsu et al. (2019): for every class, the shares of the parties are drawn from
 * Dirichlet(alpha, ..., alpha) and the class's samples are dealt out in those shares. A small alpha
 * gives each party a few dominant classes; a large one approaches IID. Draws are repeated (from the
 * same seeded stream, so every party repeats them identically) until each party has at least
 * {@link #minimumPartSize} samples, as the common benchmark implementations do. As in NIID-Bench
 * (Li et al. 2021), a party that already holds an equal share (samples / parties) gets no more of
 * the classes still to deal, so no party ends with most of the data set.
 */
public final class DirichletPartitioner implements Partitioner {
  private static final int MAX_ATTEMPTS = 1000;
  private final double alpha;

  public DirichletPartitioner(double alpha) {
    if (!(alpha > 0)) {
      throw new IllegalArgumentException("Dirichlet alpha must be positive, got " + alpha);
    }
    this.alpha = alpha;
  }

  public double alpha() {
    return alpha;
  }

  static int minimumPartSize(int samples, int parts) {
    return Math.min(10, samples / parts);
  }

  @Override
  public List<int[]> split(Samples data, int parts, long seed) {
    Random random = new Random(seed);
    int classes = Partitioner.classesOf(data, describe());
    int[][] byLabel = Shuffles.indicesByLabel(data, classes);
    int minimum = minimumPartSize(data.size(), parts);
    int cap = data.size() / parts;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      List<List<Integer>> assigned = new ArrayList<>(parts);
      for (int p = 0; p < parts; p++) {
        assigned.add(new ArrayList<>());
      }
      for (int c = 0; c < classes; c++) {
        int[] members = byLabel[c].clone();
        Shuffles.shuffle(members, random);
        double[] shares = capped(Gamma.dirichlet(alpha, parts, random), assigned, cap);
        double cumulative = 0;
        int from = 0;
        for (int p = 0; p < parts; p++) {
          cumulative += shares[p];
          int to = p == parts - 1 ? members.length : (int) Math.min(members.length, Math.round(cumulative * members.length));
          for (int i = from; i < to; i++) {
            assigned.get(p).add(members[i]);
          }
          from = Math.max(from, to);
        }
      }
      if (assigned.stream().allMatch(part -> part.size() >= minimum)) {
        List<int[]> result = new ArrayList<>(parts);
        for (List<Integer> part : assigned) {
          int[] indices = part.stream().mapToInt(Integer::intValue).toArray();
          Arrays.sort(indices);
          result.add(indices);
        }
        return result;
      }
    }
    throw new IllegalArgumentException("dirichlet:" + alpha + " could not give each of " + parts
        + " parties at least " + minimum + " of " + data.size() + " samples in " + MAX_ATTEMPTS
        + " draws; use a larger ALPHA or fewer parties");
  }

  /** The shares with every party at or over the cap set to zero, renormalised; as drawn when every party is. */
  static double[] capped(double[] shares, List<List<Integer>> assigned, int cap) {
    double[] result = shares.clone();
    double sum = 0;
    for (int p = 0; p < result.length; p++) {
      if (assigned.get(p).size() >= cap) {
        result[p] = 0;
      }
      sum += result[p];
    }
    if (sum == 0) {
      return shares;
    }
    for (int p = 0; p < result.length; p++) {
      result[p] /= sum;
    }
    return result;
  }

  @Override
  public String describe() {
    return "dirichlet:" + alpha;
  }

  /** Gamma and Dirichlet sampling (Marsaglia and Tsang 2000) on a caller-supplied seeded stream. */
  static final class Gamma {
    private Gamma() {}

    static double[] dirichlet(double alpha, int k, Random random) {
      double[] draws = new double[k];
      double sum = 0;
      for (int i = 0; i < k; i++) {
        draws[i] = sample(alpha, random);
        sum += draws[i];
      }
      if (sum == 0) {
        // every draw underflowed (tiny alpha): the mass goes to one party, as it would in the limit
        draws[random.nextInt(k)] = 1;
        return draws;
      }
      for (int i = 0; i < k; i++) {
        draws[i] /= sum;
      }
      return draws;
    }

    static double sample(double shape, Random random) {
      if (shape < 1) {
        // Gamma(a) = Gamma(a + 1) * U^(1/a)
        double u = random.nextDouble();
        return sample(shape + 1, random) * Math.pow(u, 1 / shape);
      }
      double d = shape - 1.0 / 3;
      double c = 1 / Math.sqrt(9 * d);
      while (true) {
        double x;
        double v;
        do {
          x = random.nextGaussian();
          v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = random.nextDouble();
        if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
          return d * v;
        }
      }
    }
  }
}
