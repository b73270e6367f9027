package dev.flotilla.party.train;

import dev.flotilla.protocol.status.MetricNames;
import java.util.Map;

/**
 * Outcome of local training.
 *
 * @param weights the trained weights, one array per tensor in wire order
 * @param trainLoss mean cross-entropy (without the proximal term) over the samples of the last epoch
 * @param samples samples seen per epoch
 * @param steps SGD steps taken
 */
public record TrainResult(float[][] weights, double trainLoss, int samples, int steps) {

  /** The steps taken and the momentum they took them with, which FedNova normalises each update by. */
  public Map<String, Double> stepMetrics(TrainingOptions options) {
    return Map.of(MetricNames.LOCAL_STEPS, (double) steps, MetricNames.SGD_MOMENTUM,
        // the float's shortest decimal (0.9, not 0.8999999761581421): what the party was given
        Double.parseDouble(Float.toString(options.momentum())));
  }
}
