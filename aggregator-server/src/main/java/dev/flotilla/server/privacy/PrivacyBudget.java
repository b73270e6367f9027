package dev.flotilla.server.privacy;

import dev.flotilla.protocol.options.PrivacySettings;
import dev.flotilla.protocol.status.PrivacyStatus;
import java.util.Locale;

/**
 * A DP-FedAvg job's privacy settings and the budget they are charged against: each round is one
 * step of the sampled Gaussian mechanism (every party sampled with {@code samplingRate}, the sum of
 * clipped updates noised with std {@code noiseMultiplier x clipNorm}), so the rounds' epsilon at
 * {@code delta} follows from the {@link RdpAccountant} with the {@link RdpAccountant.Conversion#IMPROVED
 * improved conversion}. The rounds a job has completed are in its {@link PrivacyLedger} (kept in the
 * checkpoint with the settings each round ran), so a resumed job is charged for what its rounds used.
 *
 * @param epsilonBudget --privacy-budget: epsilon no round may take the job beyond, in (0, 100]
 * @param delta --dp-delta, in (0, 0.1]
 * @param clipNorm --dp-clip-norm: bound on an update's L2 distance from the round's global model, in (0, 1e6]
 * @param noiseMultiplier --dp-noise-multiplier: noise std over the clipping norm, in [0.01, 1000]
 * @param samplingRate --dp-sampling-rate: probability that a party is asked to train in a round, in (0, 1]
 * @param mode --dp-mode: the aggregator adds the noise, or the parties their shares under SecAgg+
 * @param dropoutTolerance --dp-dropout-tolerance: in distributed mode, what the noise shares are sized for
 */
public record PrivacyBudget(double epsilonBudget, double delta, double clipNorm, double noiseMultiplier,
    double samplingRate, PrivacySettings.NoiseMode mode, double dropoutTolerance) {

  public PrivacyBudget {
    // the bounds of the flags, checked in one place
    new PrivacySettings(epsilonBudget, delta, clipNorm, noiseMultiplier, samplingRate, mode, dropoutTolerance);
  }

  /** Central noise. */
  public PrivacyBudget(double epsilonBudget, double delta, double clipNorm, double noiseMultiplier,
      double samplingRate) {
    this(epsilonBudget, delta, clipNorm, noiseMultiplier, samplingRate, PrivacySettings.NoiseMode.CENTRAL,
        PrivacySettings.DEFAULT_DROPOUT_TOLERANCE);
  }

  /** The budget of the checked flags. */
  public static PrivacyBudget of(PrivacySettings flags) {
    return new PrivacyBudget(flags.epsilonBudget(), flags.delta(), flags.clipNorm(), flags.noiseMultiplier(),
        flags.samplingRate(), flags.mode(), flags.dropoutTolerance());
  }

  /** The flags these settings came from. */
  public PrivacySettings settings() {
    return new PrivacySettings(epsilonBudget, delta, clipNorm, noiseMultiplier, samplingRate, mode, dropoutTolerance);
  }

  public boolean distributed() {
    return mode == PrivacySettings.NoiseMode.DISTRIBUTED;
  }

  /**
   * These settings with the noise a round actually carried (a distributed round with more survivors than its
   * shares were sized for carries more), which is what its ledger entry is charged with; capped at the flag's
   * largest multiplier, which charges a little more than was spent, never less.
   */
  public PrivacyBudget withPresentNoise(double presentMultiplier) {
    return new PrivacyBudget(epsilonBudget, delta, clipNorm, Math.min(1000, presentMultiplier), samplingRate, mode,
        dropoutTolerance);
  }

  /** Epsilon (at {@link #delta}) after {@code rounds} rounds of these settings from the job's start. */
  public double epsilonAfter(int rounds) {
    return PrivacyLedger.empty(this).epsilonAfter(this, rounds);
  }

  /** The most rounds, at most {@code rounds}, whose epsilon stays within the budget, from the job's start. */
  public int roundsAllowed(int rounds) {
    return roundsAllowed(PrivacyLedger.empty(this), rounds);
  }

  /**
   * The most rounds, at most {@code rounds} in all, that stay within the budget when the ledger's rounds are
   * followed by rounds of these settings (epsilon grows with rounds); never fewer than the ledger's.
   */
  public int roundsAllowed(PrivacyLedger spent, int rounds) {
    int past = spent.rounds();
    int within = 0; // further rounds whose epsilon stays within the budget
    int beyond = Math.max(0, rounds - past) + 1; // beyond the job or the budget
    while (beyond - within > 1) {
      int mid = (within + beyond) >>> 1;
      if (spent.epsilonAfter(this, mid) <= epsilonBudget) {
        within = mid;
      } else {
        beyond = mid;
      }
    }
    return past + within;
  }

  /** Why the round after the ledger's may not start, or null when its epsilon stays within the budget. */
  public String refusal(PrivacyLedger spent) {
    int round = spent.rounds() + 1;
    double after = spent.epsilonAfter(this, 1);
    if (after <= epsilonBudget) {
      return null;
    }
    return String.format(Locale.ROOT, "privacy budget exhausted: round %d would take epsilon to %.4g, beyond "
        + "--privacy-budget %s (delta %s; %.4g spent by %d rounds)", round, after, epsilonBudget, delta,
        spent.epsilon(), round - 1);
  }

  /**
   * Why a job whose completed rounds are {@code spent} may not go on with these settings, or null: epsilons at
   * different deltas do not add up, and a budget below what was spent cannot be kept.
   */
  public String resumeRefusal(PrivacyLedger spent) {
    if (spent.delta() != delta) {
      return String.format(Locale.ROOT, "its %d rounds were charged at --dp-delta %s, and this server is given "
          + "--dp-delta %s: epsilons at different deltas do not add up; restart with --dp-delta %s", spent.rounds(),
          spent.delta(), delta, spent.delta());
    }
    double epsilon = spent.epsilon();
    if (epsilon > epsilonBudget) {
      return String.format(Locale.ROOT, "its %d rounds already spent epsilon %.4g (delta %s), more than "
          + "--privacy-budget %s: a budget cannot be lowered below what was spent; give at least %.4g",
          spent.rounds(), epsilon, delta, epsilonBudget, epsilon);
    }
    return null;
  }

  /** The status of the budget once the ledger's rounds are done, in a job of {@code rounds}. */
  public PrivacyStatus status(PrivacyLedger spent, int rounds) {
    return new PrivacyStatus(epsilonBudget, delta, spent.epsilon(), noiseMultiplier, clipNorm, samplingRate,
        roundsAllowed(spent, rounds));
  }
}
