package dev.flotilla.server.aggregation;

import dev.flotilla.server.model.GlobalModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * How a round's admitted updates become the next global model (Flower's verbs: configure a round,
 * aggregate what came back). A strategy either folds each update as it streams in (FedAvg, FedProx,
 * FedAdam, FedYogi: memory O(model)) or spills each update to a file and reads them all back once
 * the round closed (median, trimmed mean, Krum, norm-bounded FedAvg: memory bounded, disk O(parties
 * x model)). The round loop cannot tell the two apart: it only sees {@link RoundAggregation}.
 *
 * <p>Implementations hold their optimiser state (if any), which is part of the checkpoint.
 */
public interface Strategy {

  /** The command-line name, e.g. "fedavg", "median". */
  String name();

  /** The proximal coefficient sent to parties (FedProx); 0 for the others. */
  default double proximalMu() {
    return 0;
  }

  /**
   * Starts one attempt of a round from the global model {@code base}. Spilling strategies keep their
   * files in {@code spillDirectory} (empty when the attempt starts; the caller deletes nothing).
   */
  RoundAggregation begin(GlobalModel base, Path spillDirectory) throws IOException;

  /** Optimiser state to checkpoint, by name, shaped like the model (empty for stateless strategies). */
  default Map<String, float[][]> state() {
    return Map.of();
  }

  /** Restores state produced by {@link #state()}. */
  default void restore(Map<String, float[][]> state) {}
}
