package dev.flotilla.protocol.secagg;

import dev.flotilla.protocol.privacy.GaussianNoise;
import dev.flotilla.protocol.v1.SecAggDistributedNoise;

/**
 * Distributed DP-FedAvg noise under SecAgg+ (--dp-mode distributed): no one, the aggregator included,
 * sees the sum of the clipped updates without its noise, because each party adds its share of the noise
 * before it masks. The shares are over-provisioned for dropouts (as in Kairouz, Liu, Steinke 2021, "The
 * Distributed Discrete Gaussian Mechanism"): each has std {@code z S / sqrt(m)} for the round's
 * {@code m} = min_survivors, so the sum of any {@code m} or more survivors' shares has std at least
 * {@code z S}; with {@code s} survivors it is {@code z S sqrt(s / m)}, the noise multiplier the
 * accountant is charged with. A party signs no survivor list shorter than {@code m}.
 *
 * <p>Trust: the parties are honest (each adds its share); parties that collude with the aggregator can
 * subtract their own shares, leaving the noise of the others only. Noise is drawn as doubles and
 * rounded to fixed-point units far finer than its std (Mironov 2012 applies as to central noise).
 */
public final class DistributedNoise {

  /** Headroom of the signed 32-bit sum: the clipped sum plus this many stds of its noise must fit. */
  public static final double HEADROOM_STDS = 8;
  public static final double MAX_SHARE_STD = 1e9;

  private DistributedNoise() {}

  /** The parameters of a round of {@code rosterSize} parties, {@code minSurvivors} of whom must survive. */
  public static SecAggDistributedNoise of(double noiseMultiplier, double clipNorm, int minSurvivors) {
    return SecAggDistributedNoise.newBuilder().setClipNorm(clipNorm)
        .setShareStd(noiseMultiplier * clipNorm / Math.sqrt(minSurvivors)).setMinSurvivors(minSurvivors).build();
  }

  /**
   * The fewest survivors a round of {@code rosterSize} releases: at least SecAgg+'s threshold, and all but
   * {@code dropoutTolerance} of the roster (so the noise shares are not sized for far more dropouts than expected).
   */
  public static int minSurvivors(int rosterSize, double dropoutTolerance) {
    SecAggParams params = SecAggParams.withDefaults(new byte[SecAggParams.SEED_BYTES], rosterSize, 1);
    int notDropped = (int) Math.ceil((1 - dropoutTolerance) * rosterSize - 1e-9);
    return Math.max(params.threshold(), Math.min(rosterSize, notDropped));
  }

  /** The noise multiplier that the sum of {@code survivors} parties' shares carries. */
  public static double presentMultiplier(SecAggDistributedNoise noise, int survivors) {
    return noise.getShareStd() * Math.sqrt(survivors) / noise.getClipNorm();
  }

  /**
   * Why rounds of 3 to {@link SecAggParams#MAX_ROSTER} parties could overflow the signed 32-bit sum with
   * these settings (clipped sum plus {@link #HEADROOM_STDS} stds of its noise beyond 2 x the clip range),
   * or null: every value is encoded with weight 1 / roster size, so the sum's noise has std share_std /
   * sqrt(roster size) at most.
   */
  public static String rangeRefusal(double noiseMultiplier, double clipNorm, double dropoutTolerance,
      double clipRange) {
    double worst = 0;
    for (int n = SecAggParams.MIN_ROSTER; n <= SecAggParams.MAX_ROSTER; n++) {
      double shareStd = noiseMultiplier * clipNorm / Math.sqrt(minSurvivors(n, dropoutTolerance));
      worst = Math.max(worst, clipNorm + HEADROOM_STDS * shareStd / Math.sqrt(n));
    }
    if (worst <= 2 * clipRange) {
      return null;
    }
    return String.format(java.util.Locale.ROOT, "the noised sum of clipped updates reaches %.4g (clip norm plus %s "
        + "stds of its noise with 3 parties), beyond the %.4g the fixed-point sum holds (2 x --secagg-clip-range); "
        + "give --secagg-clip-range %.4g or more", worst, HEADROOM_STDS, 2 * clipRange, worst / 2);
  }

  /** The aggregator's parameters, checked before a party acts on them. */
  static SecAggDistributedNoise check(SecAggDistributedNoise noise, int rosterSize) {
    if (!(noise.getClipNorm() > 0 && noise.getClipNorm() <= 1e6)) {
      throw new SecAggException("the distributed noise's clip norm " + noise.getClipNorm() + " is not in (0, 1e6]");
    }
    if (!(noise.getShareStd() >= 0 && noise.getShareStd() <= MAX_SHARE_STD)) {
      throw new SecAggException("the distributed noise's share std " + noise.getShareStd() + " is not in [0, "
          + MAX_SHARE_STD + "]");
    }
    if (noise.getMinSurvivors() < SecAggParams.MIN_ROSTER - 1 || noise.getMinSurvivors() > rosterSize) {
      throw new SecAggException("the distributed noise needs " + noise.getMinSurvivors() + " survivors of a roster of "
          + rosterSize);
    }
    return noise;
  }

  /**
   * A party's input: its trained model's difference from the round's global model {@code base}, clipped to
   * the L2 norm clip_norm over all values, encoded with {@code weight}, plus its share of the noise; a party
   * that only pads the roster (noise_only) sends its noise share alone.
   */
  static int[] encode(float[] trained, float[] base, SecAggDistributedNoise noise, FixedPoint fixedPoint,
      double weight, GaussianNoise gaussian) {
    if (trained.length != base.length) {
      throw new SecAggException("the update has " + trained.length + " values and the global model " + base.length);
    }
    float[] delta = new float[trained.length];
    double squares = 0;
    for (int i = 0; i < delta.length && !noise.getNoiseOnly(); i++) {
      // a value that is not finite moves nothing (as NaN encodes as 0 in a plain masked round)
      double d = Float.isFinite(trained[i]) && Float.isFinite(base[i]) ? (double) trained[i] - base[i] : 0;
      delta[i] = (float) d;
      squares += d * d;
    }
    double norm = Math.sqrt(squares);
    if (norm > noise.getClipNorm()) {
      double factor = noise.getClipNorm() / norm;
      for (int i = 0; i < delta.length; i++) {
        delta[i] = (float) (delta[i] * factor);
      }
    }
    int[] encoded = fixedPoint.encode(delta, weight);
    fixedPoint.addNoise(encoded, noise.getShareStd(), weight, gaussian);
    return encoded;
  }
}
