package dev.flotilla.protocol.options;

import java.util.ArrayList;
import java.util.List;

/**
 * The values of {@code --privacy-budget} and its {@code --dp-*} flags, checked once for every command that takes
 * them: the server (which keeps the budget), and the demo and the simulator (which hand them to it).
 *
 * @param epsilonBudget --privacy-budget, in (0, 100]
 * @param delta --dp-delta, in (0, 0.1]
 * @param clipNorm --dp-clip-norm, in (0, 1e6]
 * @param noiseMultiplier --dp-noise-multiplier, in [0.01, 1000]
 * @param samplingRate --dp-sampling-rate, in (0, 1]
 * @param mode --dp-mode: who adds the noise
 * @param dropoutTolerance --dp-dropout-tolerance: in distributed mode, the share of a round's parties that may drop
 *     with the sum still carrying the calibrated noise, in [0, 0.9]
 */
public record PrivacySettings(double epsilonBudget, double delta, double clipNorm, double noiseMultiplier,
    double samplingRate, NoiseMode mode, double dropoutTolerance) {

  public static final double DEFAULT_DELTA = 1e-5;
  public static final double DEFAULT_SAMPLING_RATE = 1.0;
  public static final double DEFAULT_DROPOUT_TOLERANCE = 0.1;
  public static final double MAX_DROPOUT_TOLERANCE = 0.9;

  /** Who adds the Gaussian noise of DP-FedAvg. */
  public enum NoiseMode {
    /** The aggregator, to the sum of the clipped updates it sees. */
    CENTRAL,
    /** Each party its share, before SecAgg+ masks its update: no one sees the sum without noise. */
    DISTRIBUTED;

    /** The flag's spelling. */
    public String flagValue() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** central or distributed. */
    public static NoiseMode parse(String value) {
      for (NoiseMode m : values()) {
        if (m.flagValue().equals(value)) {
          return m;
        }
      }
      throw new IllegalArgumentException("--dp-mode must be central or distributed, got '" + value + "'");
    }
  }

  /** Central noise (the aggregator adds it). */
  public PrivacySettings(double epsilonBudget, double delta, double clipNorm, double noiseMultiplier,
      double samplingRate) {
    this(epsilonBudget, delta, clipNorm, noiseMultiplier, samplingRate, NoiseMode.CENTRAL, DEFAULT_DROPOUT_TOLERANCE);
  }

  public PrivacySettings {
    require(epsilonBudget > 0 && epsilonBudget <= 100, "--privacy-budget", epsilonBudget, "in (0, 100]");
    require(delta > 0 && delta <= 0.1, "--dp-delta", delta, "in (0, 0.1]");
    require(clipNorm > 0 && clipNorm <= 1e6, "--dp-clip-norm", clipNorm, "in (0, 1e6]");
    require(noiseMultiplier >= 0.01 && noiseMultiplier <= 1000, "--dp-noise-multiplier", noiseMultiplier,
        "in [0.01, 1000]");
    require(samplingRate > 0 && samplingRate <= 1, "--dp-sampling-rate", samplingRate, "in (0, 1]");
    require(dropoutTolerance >= 0 && dropoutTolerance <= MAX_DROPOUT_TOLERANCE, "--dp-dropout-tolerance",
        dropoutTolerance, "in [0, " + MAX_DROPOUT_TOLERANCE + "]");
    java.util.Objects.requireNonNull(mode, "mode");
  }

  public boolean distributed() {
    return mode == NoiseMode.DISTRIBUTED;
  }

  /**
   * Why these settings cannot run with --secure-aggregation on or off as given ({@code clipRange} its
   * --secagg-clip-range), or null: central noise needs the updates the aggregator never sees under SecAgg+,
   * distributed noise needs SecAgg+ (else the aggregator sees each noised update), and the noised sum must fit
   * the fixed-point range.
   */
  public String secureAggregationRefusal(boolean secureAggregation, double clipRange) {
    if (distributed() && !secureAggregation) {
      return "--dp-mode distributed adds the noise in shares before SecAgg+ masks each update; it needs "
          + "--secure-aggregation (without it, use --dp-mode central)";
    }
    if (!distributed() && secureAggregation) {
      return "--privacy-budget with --dp-mode central clips each update at the aggregator, which --secure-aggregation "
          + "never sees; give --dp-mode distributed (each party clips and adds its share of the noise)";
    }
    return distributed() ? dev.flotilla.protocol.secagg.DistributedNoise.rangeRefusal(noiseMultiplier, clipNorm,
        dropoutTolerance, clipRange) : null;
  }

  private static void require(boolean ok, String flag, double value, String range) {
    if (!ok) { // NaN fails every comparison above, so it lands here too
      throw new IllegalArgumentException(flag + " must be " + range + ", got " + value);
    }
  }

  /**
   * The settings the flags give, or null without {@code --privacy-budget} (then no {@code --dp-*} flag may be
   * given); null arguments are flags not given.
   *
   * @throws IllegalArgumentException naming the flag that is missing, out of place or out of range
   */
  public static PrivacySettings fromFlags(Double budget, Double delta, Double clipNorm, Double noiseMultiplier,
      Double samplingRate) {
    return fromFlags(budget, delta, clipNorm, noiseMultiplier, samplingRate, null, null);
  }

  /** The same with --dp-mode (central or distributed) and --dp-dropout-tolerance; null for not given. */
  public static PrivacySettings fromFlags(Double budget, Double delta, Double clipNorm, Double noiseMultiplier,
      Double samplingRate, String mode, Double dropoutTolerance) {
    if (budget == null) {
      if (delta != null || clipNorm != null || noiseMultiplier != null || samplingRate != null || mode != null
          || dropoutTolerance != null) {
        throw new IllegalArgumentException("the --dp-* flags take effect with --privacy-budget EPSILON; give the "
            + "budget too");
      }
      return null;
    }
    if (clipNorm == null || noiseMultiplier == null) {
      throw new IllegalArgumentException("--privacy-budget needs --dp-clip-norm and --dp-noise-multiplier");
    }
    NoiseMode noiseMode = mode == null ? NoiseMode.CENTRAL : NoiseMode.parse(mode);
    if (dropoutTolerance != null && noiseMode != NoiseMode.DISTRIBUTED) {
      throw new IllegalArgumentException("--dp-dropout-tolerance sizes the parties' noise shares; it takes effect with "
          + "--dp-mode distributed");
    }
    return new PrivacySettings(budget, delta == null ? DEFAULT_DELTA : delta, clipNorm, noiseMultiplier,
        samplingRate == null ? DEFAULT_SAMPLING_RATE : samplingRate, noiseMode,
        dropoutTolerance == null ? DEFAULT_DROPOUT_TOLERANCE : dropoutTolerance);
  }

  /** The server's flags for these settings, each written as the server reads it. */
  public List<String> serverArgs() {
    List<String> args = new ArrayList<>();
    args.addAll(ServerOptions.PRIVACY_BUDGET.arg(epsilonBudget));
    args.addAll(ServerOptions.DP_DELTA.arg(delta));
    args.addAll(ServerOptions.DP_CLIP_NORM.arg(clipNorm));
    args.addAll(ServerOptions.DP_NOISE_MULTIPLIER.arg(noiseMultiplier));
    args.addAll(ServerOptions.DP_SAMPLING_RATE.arg(samplingRate));
    if (distributed()) {
      args.addAll(ServerOptions.DP_MODE.arg(mode.flagValue()));
      args.addAll(ServerOptions.DP_DROPOUT_TOLERANCE.arg(dropoutTolerance));
    }
    return args;
  }
}
