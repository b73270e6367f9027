package dev.flotilla.server.strategy;

import java.util.List;

/** Strategies by their command-line name. */
public final class Strategies {

  public static final List<String> NAMES = List.of("fedavg", "fedprox", "fedadam", "fedyogi");

  private Strategies() {}

  public static Strategy byName(String name, double fedproxMu, double serverLr) {
    return switch (name) {
      case "fedavg" -> new FedAvg();
      case "fedprox" -> new FedProx(fedproxMu);
      case "fedadam" -> FedOpt.adam(serverLr);
      case "fedyogi" -> FedOpt.yogi(serverLr);
      default -> throw new IllegalArgumentException("unknown strategy '" + name + "'; expected one of " + NAMES);
    };
  }
}
