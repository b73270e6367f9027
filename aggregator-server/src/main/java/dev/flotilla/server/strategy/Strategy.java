package dev.flotilla.server.strategy;

import java.util.Map;

/**
 * How the next global model follows from the current one and the sample-weighted average of the
 * parties' trained weights. Implementations hold their optimiser state (if any), which is part of
 * the checkpoint.
 */
public interface Strategy {

  /** "fedavg", "fedprox", "fedadam" or "fedyogi". */
  String name();

  /** The next global model; must not modify its arguments. */
  float[][] nextGlobal(float[][] global, float[][] average);

  /** FedProx's proximal coefficient sent to parties; 0 for the others. */
  default double proximalMu() {
    return 0;
  }

  /** Optimiser state to checkpoint, by name (empty for stateless strategies). */
  default Map<String, float[][]> state() {
    return Map.of();
  }

  /** Restores state produced by {@link #state()}. */
  default void restore(Map<String, float[][]> state) {}
}
