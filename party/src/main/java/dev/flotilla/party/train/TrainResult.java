package dev.flotilla.party.train;

import dev.flotilla.protocol.status.MetricNames;
import java.util.HashMap;
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

  /**
   * The update a party sends: these weights with the training metrics, the step metrics and, when the party
   * evaluated the global model before training ({@code before}, or null), that evaluation's metrics.
   */
  public LocalUpdate toUpdate(TrainingOptions options, Evaluation before, double evalSeconds, double trainSeconds) {
    Map<String, Double> metrics = new HashMap<>(stepMetrics(options));
    if (before != null) {
      metrics.putAll(before.metrics());
    }
    metrics.put(MetricNames.TRAIN_LOSS, trainLoss);
    metrics.put(MetricNames.EVAL_SECONDS, evalSeconds);
    metrics.put(MetricNames.TRAIN_SECONDS, trainSeconds);
    return new LocalUpdate(weights, samples, metrics);
  }
}
