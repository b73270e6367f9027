package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.options.ServerOptions;
import dev.flotilla.server.admission.NormBound;

/**
 * The settings of every strategy in one place, as the command line gives them; each strategy reads
 * the ones it needs and {@link Strategies#byName} checks them.
 *
 * @param fedproxMu FedProx's proximal coefficient sent to parties (>= 0)
 * @param serverLr FedAdam's and FedYogi's server learning rate (> 0)
 * @param trimFraction the share of parties trimmed at each end by the trimmed mean, in [0, 0.5)
 * @param byzantineParties Krum's f, the number of parties assumed Byzantine (>= 0)
 * @param krumSelect multi-Krum's m, how many best-scored updates are averaged (>= 1; 0 = n - f)
 * @param normBound the bound on each update's L2 distance from the base model (--max-update-norm),
 *     which wraps the strategy in {@link NormBounded}; null for none
 * @param fraction the share of parties sampled per round (--fraction, in (0, 1]): SCAFFOLD's |S|/N
 */
public record StrategyOptions(double fedproxMu, double serverLr, double trimFraction, int byzantineParties,
    int krumSelect, NormBound normBound, double fraction) {

  /** Every party each round (--fraction 1). */
  public StrategyOptions(double fedproxMu, double serverLr, double trimFraction, int byzantineParties, int krumSelect,
      NormBound normBound) {
    this(fedproxMu, serverLr, trimFraction, byzantineParties, krumSelect, normBound, 1);
  }

  public static final double DEFAULT_FEDPROX_MU = ServerOptions.FEDPROX_MU.defaultValue();
  public static final double DEFAULT_SERVER_LR = ServerOptions.SERVER_LR.defaultValue();
  public static final double DEFAULT_TRIM_FRACTION = ServerOptions.TRIM_FRACTION.defaultValue();
  public static final int DEFAULT_BYZANTINE_PARTIES = ServerOptions.BYZANTINE_PARTIES.defaultValue();
  public static final int DEFAULT_KRUM_SELECT = ServerOptions.KRUM_SELECT.defaultValue();

  /** The command line's defaults. */
  public static StrategyOptions defaults() {
    return new StrategyOptions(DEFAULT_FEDPROX_MU, DEFAULT_SERVER_LR, DEFAULT_TRIM_FRACTION, DEFAULT_BYZANTINE_PARTIES,
        DEFAULT_KRUM_SELECT, null);
  }

  public StrategyOptions withFedproxMu(double v) {
    return new StrategyOptions(v, serverLr, trimFraction, byzantineParties, krumSelect, normBound, fraction);
  }

  public StrategyOptions withServerLr(double v) {
    return new StrategyOptions(fedproxMu, v, trimFraction, byzantineParties, krumSelect, normBound, fraction);
  }

  public StrategyOptions withTrimFraction(double v) {
    return new StrategyOptions(fedproxMu, serverLr, v, byzantineParties, krumSelect, normBound, fraction);
  }

  public StrategyOptions withByzantineParties(int v) {
    return new StrategyOptions(fedproxMu, serverLr, trimFraction, v, krumSelect, normBound, fraction);
  }

  public StrategyOptions withKrumSelect(int v) {
    return new StrategyOptions(fedproxMu, serverLr, trimFraction, byzantineParties, v, normBound, fraction);
  }

  public StrategyOptions withNormBound(NormBound v) {
    return new StrategyOptions(fedproxMu, serverLr, trimFraction, byzantineParties, krumSelect, v, fraction);
  }

  public StrategyOptions withFraction(double v) {
    return new StrategyOptions(fedproxMu, serverLr, trimFraction, byzantineParties, krumSelect, normBound, v);
  }
}
