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
 */
public record PrivacySettings(double epsilonBudget, double delta, double clipNorm, double noiseMultiplier,
    double samplingRate) {

  public static final double DEFAULT_DELTA = 1e-5;
  public static final double DEFAULT_SAMPLING_RATE = 1.0;

  public PrivacySettings {
    require(epsilonBudget > 0 && epsilonBudget <= 100, "--privacy-budget", epsilonBudget, "in (0, 100]");
    require(delta > 0 && delta <= 0.1, "--dp-delta", delta, "in (0, 0.1]");
    require(clipNorm > 0 && clipNorm <= 1e6, "--dp-clip-norm", clipNorm, "in (0, 1e6]");
    require(noiseMultiplier >= 0.01 && noiseMultiplier <= 1000, "--dp-noise-multiplier", noiseMultiplier,
        "in [0.01, 1000]");
    require(samplingRate > 0 && samplingRate <= 1, "--dp-sampling-rate", samplingRate, "in (0, 1]");
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
    if (budget == null) {
      if (delta != null || clipNorm != null || noiseMultiplier != null || samplingRate != null) {
        throw new IllegalArgumentException("the --dp-* flags take effect with --privacy-budget EPSILON; give the "
            + "budget too");
      }
      return null;
    }
    if (clipNorm == null || noiseMultiplier == null) {
      throw new IllegalArgumentException("--privacy-budget needs --dp-clip-norm and --dp-noise-multiplier");
    }
    return new PrivacySettings(budget, delta == null ? DEFAULT_DELTA : delta, clipNorm, noiseMultiplier,
        samplingRate == null ? DEFAULT_SAMPLING_RATE : samplingRate);
  }

  /** The server's flags for these settings, each written as the server reads it. */
  public List<String> serverArgs() {
    List<String> args = new ArrayList<>();
    args.addAll(ServerOptions.PRIVACY_BUDGET.arg(epsilonBudget));
    args.addAll(ServerOptions.DP_DELTA.arg(delta));
    args.addAll(ServerOptions.DP_CLIP_NORM.arg(clipNorm));
    args.addAll(ServerOptions.DP_NOISE_MULTIPLIER.arg(noiseMultiplier));
    args.addAll(ServerOptions.DP_SAMPLING_RATE.arg(samplingRate));
    return args;
  }
}
