package dev.flotilla.server.aggregation;

import java.util.List;

/** Strategies by their command-line name. */
public final class Strategies {

  /** Streaming first (memory O(model)), then the spilled robust ones (disk O(parties x model)). */
  public static final List<String> NAMES =
      List.of("fedavg", "fedprox", "fednova", "scaffold", "fedadam", "fedyogi", "median", "trimmed-mean", "krum", "multi-krum");

  private Strategies() {}

  /**
   * A new strategy (with fresh optimiser state) named {@code name}, wrapped in {@link NormBounded}
   * when the options carry a norm bound.
   *
   * @throws IllegalArgumentException for an unknown name or an option out of its range, saying which
   */
  public static Strategy byName(String name, StrategyOptions options) {
    Strategy strategy = switch (name) {
      case "fedavg" -> new FedAvg();
      case "fedprox" -> new FedProx(options.fedproxMu());
      case "fednova" -> new FedNova();
      case "scaffold" -> new Scaffold(options.fraction());
      case "fedadam" -> FedOpt.adam(options.serverLr());
      case "fedyogi" -> FedOpt.yogi(options.serverLr());
      case "median" -> new Median();
      case "trimmed-mean" -> new TrimmedMean(options.trimFraction());
      case "krum" -> Krum.krum(options.byzantineParties());
      case "multi-krum" -> Krum.multiKrum(options.byzantineParties(), options.krumSelect());
      default -> throw new IllegalArgumentException("--strategy '" + name + "' is not one of " + NAMES);
    };
    if (options.normBound() != null && weighsByClaims(name)) {
      throw new IllegalArgumentException("--max-update-norm cannot be combined with --strategy " + name
          + " (it weighs each update by what its header claims, which the norm bound's re-read does not carry)");
    }
    return options.normBound() == null ? strategy : new NormBounded(strategy, options.normBound());
  }

  /** Whether the strategy {@code name} reads the update's header beyond its sample count. */
  private static boolean weighsByClaims(String name) {
    return name.equals("fednova") || carriesControlVariates(name);
  }

  /** Whether the strategy {@code name} sends SCAFFOLD's control variates with the model ({@code ControlVariates}). */
  public static boolean carriesControlVariates(String name) {
    return name.equals("scaffold");
  }

  /**
   * Checks that a strategy bounding the parties' claimed local steps has epochs to bound them by.
   *
   * @throws IllegalArgumentException naming the flag to set
   */
  public static void requireAnnouncedEpochs(String name, int localEpochs) {
    if (name.equals("fednova") && localEpochs <= 0) {
      throw new IllegalArgumentException("--strategy fednova needs --local-epochs >= 1 on the server: a party's "
          + "claimed local steps are bounded by the epochs announced to it");
    }
  }

  /**
   * Checks that a round of {@code minParties} updates can be aggregated by the strategy {@code name}
   * (Krum needs n > 2f + 2, multi-Krum also n >= m + f), so that no round fails at its end.
   *
   * @throws IllegalArgumentException naming the flags to change
   */
  public static void requireEnoughParties(String name, StrategyOptions options, int minParties) {
    if (!name.equals("krum") && !name.equals("multi-krum")) {
      return;
    }
    Krum krum = name.equals("krum") ? Krum.krum(options.byzantineParties())
        : Krum.multiKrum(options.byzantineParties(), options.krumSelect());
    if (minParties < krum.minimumUpdates()) {
      throw new IllegalArgumentException("--strategy " + name + " with --byzantine-parties " + options.byzantineParties()
          + (name.equals("multi-krum") && options.krumSelect() > 0 ? " and --krum-select " + options.krumSelect() : "")
          + " needs at least " + krum.minimumUpdates() + " updates per round (more than 2f + 2"
          + (name.equals("multi-krum") ? ", and m + f" : "") + "); --min-parties is " + minParties);
    }
  }
}
