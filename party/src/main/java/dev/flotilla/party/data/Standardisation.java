package dev.flotilla.party.data;

import java.util.Locale;

/**
 * Per-feature mean and standard deviation of a party's own training rows, applied to its training
 * and test rows alike: (x - mean) / std for the numeric features; one-hot features are left as they
 * are. A constant feature (std 0) is only centred. Statistics never leave the party.
 */
public final class Standardisation {
  private final double[] mean;
  private final double[] std;
  private final boolean[] applies;

  private Standardisation(double[] mean, double[] std, boolean[] applies) {
    this.mean = mean;
    this.std = std;
    this.applies = applies;
  }

  /** Mean and (population) standard deviation of every numeric feature of {@code training}. */
  public static Standardisation fit(TabularSamples training) {
    int width = training.featuresPerSample();
    int n = training.size();
    if (n == 0) {
      throw new IllegalArgumentException("no training rows to compute standardisation statistics from");
    }
    double[] mean = new double[width];
    double[] m2 = new double[width];
    boolean[] applies = new boolean[width];
    for (int j = 0; j < width; j++) {
      applies[j] = training.standardisable(j);
      if (!applies[j]) {
        continue;
      }
      // Welford's update: stable for large offsets, one pass
      double mu = 0;
      double sum = 0;
      for (int i = 0; i < n; i++) {
        double x = training.feature(i, j);
        double delta = x - mu;
        mu += delta / (i + 1);
        sum += delta * (x - mu);
      }
      mean[j] = mu;
      m2[j] = sum;
    }
    double[] std = new double[width];
    for (int j = 0; j < width; j++) {
      double s = applies[j] ? Math.sqrt(m2[j] / n) : 1;
      std[j] = s > 0 && Double.isFinite(s) ? s : 1;
    }
    return new Standardisation(mean, std, applies);
  }

  /** {@code samples} with every numeric feature standardised by these statistics. */
  public TabularSamples apply(TabularSamples samples) {
    int width = samples.featuresPerSample();
    if (width != mean.length) {
      throw new IllegalArgumentException("standardisation of " + mean.length + " features applied to " + width);
    }
    float[] source = samples.featureArray();
    float[] result = new float[source.length];
    for (int i = 0; i < source.length; i++) {
      int j = i % width;
      result[i] = applies[j] ? (float) ((source[i] - mean[j]) / std[j]) : source[i];
      if (!Float.isFinite(result[i])) {
        // a column that is nearly constant in the training rows has a tiny std, so a value far from
        // its mean no longer fits a float32: refuse rather than train on infinities
        throw new BadDataException(String.format(Locale.ROOT, "column '%s' of row %d: %s standardised with the "
                + "training rows' mean %s and std %s is not a finite float32; the column is (nearly) constant in "
                + "the training data: drop it or rescale it", samples.featureNames().get(j), i / width + 1,
            source[i], mean[j], std[j]));
      }
    }
    return samples.withFeatures(result);
  }

  public double mean(int feature) {
    return mean[feature];
  }

  public double std(int feature) {
    return std[feature];
  }

  @Override
  public String toString() {
    int numeric = 0;
    for (boolean a : applies) {
      numeric += a ? 1 : 0;
    }
    return String.format(Locale.ROOT, "standardised %d numeric of %d features", numeric, applies.length);
  }
}
