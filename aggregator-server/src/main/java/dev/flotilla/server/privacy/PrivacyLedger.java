package dev.flotilla.server.privacy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the completed rounds of a DP-FedAvg job have spent: the mechanism each round ran (noise multiplier,
 * sampling rate, clipping norm), as runs of rounds with equal settings, all charged at one delta, under the
 * budget in force. Rounds compose by adding their Rényi DP order by order, so a job whose settings changed at
 * a restart is charged for what each round used. Immutable: a completed round makes a new ledger. The
 * checkpoint records it (its metadata's {@code privacy}).
 *
 * @param epsilonBudget the budget in force when the last round was charged
 * @param delta the delta every round was charged at
 * @param runs the rounds in order: consecutive rounds with equal settings form one run
 */
public record PrivacyLedger(double epsilonBudget, double delta, List<Run> runs) {

  /**
   * Rounds that ran one mechanism.
   *
   * @param rounds how many (at least 1)
   * @param noiseMultiplier noise std over the clipping norm
   * @param samplingRate probability that a party was asked to train
   * @param clipNorm bound on each update's L2 distance from the round's global model
   */
  public record Run(int rounds, double noiseMultiplier, double samplingRate, double clipNorm) {

    boolean sameMechanism(PrivacyBudget settings) {
      return noiseMultiplier == settings.noiseMultiplier() && samplingRate == settings.samplingRate()
          && clipNorm == settings.clipNorm();
    }

    String describe() {
      return String.format(Locale.ROOT, "%d round%s at noise multiplier %s, sampling rate %s, clip norm %s", rounds,
          rounds == 1 ? "" : "s", noiseMultiplier, samplingRate, clipNorm);
    }
  }

  /** One round's RDP at each order, by (sampling rate, noise multiplier): each series is summed once per JVM. */
  private static final Map<List<Double>, double[]> PER_ROUND = new ConcurrentHashMap<>();

  public PrivacyLedger {
    runs = List.copyOf(runs);
  }

  /** Nothing spent yet, under {@code settings}' budget and delta. */
  public static PrivacyLedger empty(PrivacyBudget settings) {
    return new PrivacyLedger(settings.epsilonBudget(), settings.delta(), List.of());
  }

  /**
   * The ledger of a checkpoint written before ledgers were recorded: all its rounds are assumed to have run
   * with {@code settings} (the only thing such a server could do).
   */
  public static PrivacyLedger assumed(PrivacyBudget settings, int rounds) {
    return rounds == 0 ? empty(settings) : new PrivacyLedger(settings.epsilonBudget(), settings.delta(),
        List.of(new Run(rounds, settings.noiseMultiplier(), settings.samplingRate(), settings.clipNorm())));
  }

  /** The rounds charged. */
  public int rounds() {
    int n = 0;
    for (Run r : runs) {
      n += r.rounds();
    }
    return n;
  }

  /** This ledger with one more round of {@code settings} (whose delta must be this ledger's). */
  public PrivacyLedger charged(PrivacyBudget settings) {
    if (settings.delta() != delta) {
      throw new IllegalArgumentException("a round at delta " + settings.delta() + " cannot be charged to a ledger at "
          + "delta " + delta);
    }
    List<Run> next = new ArrayList<>(runs);
    Run last = next.isEmpty() ? null : next.get(next.size() - 1);
    if (last != null && last.sameMechanism(settings)) {
      next.set(next.size() - 1, new Run(last.rounds() + 1, last.noiseMultiplier(), last.samplingRate(), last.clipNorm()));
    } else {
      next.add(new Run(1, settings.noiseMultiplier(), settings.samplingRate(), settings.clipNorm()));
    }
    return new PrivacyLedger(settings.epsilonBudget(), delta, next);
  }

  /** Epsilon (at {@link #delta}) of the rounds charged. */
  public double epsilon() {
    return RdpAccountant.epsilon(rdp(), RdpAccountant.DEFAULT_ORDERS, 1, delta, RdpAccountant.Conversion.IMPROVED)
        .epsilon();
  }

  /** Epsilon (at {@link #delta}) after {@code more} further rounds with {@code next}'s mechanism. */
  public double epsilonAfter(PrivacyBudget next, int more) {
    double[] total = rdp();
    double[] perRound = perRound(next.samplingRate(), next.noiseMultiplier());
    for (int i = 0; i < total.length; i++) {
      total[i] += more * perRound[i];
    }
    return RdpAccountant.epsilon(total, RdpAccountant.DEFAULT_ORDERS, 1, delta, RdpAccountant.Conversion.IMPROVED)
        .epsilon();
  }

  /** The runs for a person: "2 rounds at noise multiplier 2.0, ...; 1 round at ...". */
  public String describe() {
    List<String> parts = new ArrayList<>();
    for (Run r : runs) {
      parts.add(r.describe());
    }
    return parts.isEmpty() ? "no rounds" : String.join("; ", parts);
  }

  /** The RDP of all rounds charged, at each of the default orders. */
  private double[] rdp() {
    double[] total = new double[RdpAccountant.DEFAULT_ORDERS.size()];
    for (Run r : runs) {
      double[] perRound = perRound(r.samplingRate(), r.noiseMultiplier());
      for (int i = 0; i < total.length; i++) {
        total[i] += r.rounds() * perRound[i];
      }
    }
    return total;
  }

  private static double[] perRound(double samplingRate, double noiseMultiplier) {
    return PER_ROUND.computeIfAbsent(List.of(samplingRate, noiseMultiplier),
        k -> RdpAccountant.rdpPerStep(samplingRate, noiseMultiplier, RdpAccountant.DEFAULT_ORDERS));
  }
}
