package dev.flotilla.server.aggregation;

import java.util.List;

/** Strategies by their command-line name. */
public final class Strategies {

  public static final List<String> NAMES = List.of("fedavg", "fedprox", "fedadam", "fedyogi");

  private Strategies() {}

  /**
   * A new strategy (with fresh optimiser state) named {@code name}.
   *
   * @throws IllegalArgumentException for an unknown name or an option out of its range, saying which
   */
  public static Strategy byName(String name, StrategyOptions options) {
    return switch (name) {
      case "fedavg" -> new FedAvg();
      case "fedprox" -> new FedProx(options.fedproxMu());
      case "fedadam" -> FedOpt.adam(options.serverLr());
      case "fedyogi" -> FedOpt.yogi(options.serverLr());
      default -> throw new IllegalArgumentException("--strategy '" + name + "' is not one of " + NAMES);
    };
  }
}
