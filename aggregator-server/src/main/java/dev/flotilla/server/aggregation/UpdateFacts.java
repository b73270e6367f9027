package dev.flotilla.server.aggregation;

import java.util.Map;

/**
 * What the server knows of an update before its first value: its header (sample count, metrics,
 * both already checked by admission) and the job's announced local epochs, which bound what a party
 * may claim to have done (FedNova's local steps).
 *
 * @param samples the update's sample count (its weight for FedAvg)
 * @param metrics the update header's metrics (bounded in number and name, finite)
 * @param localEpochs the local epochs announced at Join (0: each party chose its own)
 */
public record UpdateFacts(long samples, Map<String, Double> metrics, int localEpochs) {

  public UpdateFacts {
    metrics = Map.copyOf(metrics);
  }

  /** An update of {@code samples} samples with no metrics, in a job that announced no epochs. */
  public static UpdateFacts ofSamples(long samples) {
    return new UpdateFacts(samples, Map.of(), 0);
  }
}
