package dev.flotilla.server.privacy;

import dev.flotilla.protocol.status.PrivacyStatus;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A DP-FedAvg job's privacy settings and the budget they are charged against: each round is one
 * step of the sampled Gaussian mechanism (every party sampled with {@code samplingRate}, the sum of
 * clipped updates noised with std {@code noiseMultiplier x clipNorm}), so the rounds' epsilon at
 * {@code delta} follows from the {@link RdpAccountant} with the {@link RdpAccountant.Conversion#IMPROVED
 * improved conversion}. Epsilon depends only on the number of rounds, so a resumed job is charged for
 * the rounds of its checkpoint.
 *
 * @param epsilonBudget --privacy-budget: epsilon no round may take the job beyond, in (0, 100]
 * @param delta --dp-delta, in (0, 0.1]
 * @param clipNorm --dp-clip-norm: bound on an update's L2 distance from the round's global model, in (0, 1e6]
 * @param noiseMultiplier --dp-noise-multiplier: noise std over the clipping norm, in [0.01, 1000]
 * @param samplingRate --dp-sampling-rate: probability that a party is asked to train in a round, in (0, 1]
 */
public record PrivacyBudget(double epsilonBudget, double delta, double clipNorm, double noiseMultiplier,
    double samplingRate) {

  public static final double DEFAULT_DELTA = 1e-5;
  public static final double DEFAULT_SAMPLING_RATE = 1.0;

  public PrivacyBudget {
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

  /** One round's RDP at each order, by (sampling rate, noise multiplier): the series are summed once per job. */
  private static final Map<List<Double>, double[]> PER_ROUND = new ConcurrentHashMap<>();

  /** Epsilon (at {@link #delta}) after {@code rounds} rounds. */
  public double epsilonAfter(int rounds) {
    double[] perRound = PER_ROUND.computeIfAbsent(List.of(samplingRate, noiseMultiplier),
        k -> RdpAccountant.rdpPerStep(samplingRate, noiseMultiplier, RdpAccountant.DEFAULT_ORDERS));
    return RdpAccountant.epsilon(perRound, RdpAccountant.DEFAULT_ORDERS, rounds, delta,
        RdpAccountant.Conversion.IMPROVED).epsilon();
  }

  /** The most rounds, at most {@code rounds}, whose epsilon stays within the budget (epsilon grows with rounds). */
  public int roundsAllowed(int rounds) {
    int within = 0; // epsilonAfter(within) <= budget
    int beyond = rounds + 1; // beyond the job or the budget
    while (beyond - within > 1) {
      int mid = (within + beyond) >>> 1;
      if (epsilonAfter(mid) <= epsilonBudget) {
        within = mid;
      } else {
        beyond = mid;
      }
    }
    return within;
  }

  /** Why round {@code round} may not start, or null when its epsilon stays within the budget. */
  public String refusal(int round) {
    double after = epsilonAfter(round);
    if (after <= epsilonBudget) {
      return null;
    }
    return String.format(Locale.ROOT, "privacy budget exhausted: round %d would take epsilon to %.4g, beyond "
        + "--privacy-budget %s (delta %s; %.4g spent by %d rounds)", round, after, epsilonBudget, delta,
        epsilonAfter(round - 1), round - 1);
  }

  /** The status of the budget after {@code roundsCompleted} rounds of a job of {@code rounds}. */
  public PrivacyStatus status(int roundsCompleted, int rounds) {
    return new PrivacyStatus(epsilonBudget, delta, epsilonAfter(roundsCompleted), noiseMultiplier, clipNorm,
        samplingRate, roundsAllowed(rounds));
  }
}
