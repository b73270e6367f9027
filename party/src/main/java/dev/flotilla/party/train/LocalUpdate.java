package dev.flotilla.party.train;

import dev.flotilla.protocol.status.MetricNames;
import java.util.Map;

/**
 * What a round of local training produced.
 *
 * @param weights the trained model, the job's full layout (tensors the trainer does not train as they came in)
 * @param samples training samples the update was computed on (its weight in FedAvg)
 * @param metrics "loss" and "accuracy" or "r2" of the global model on the test data, "train_loss", and the
 *     seconds the party spent evaluating the global model and training ({@link MetricNames})
 */
public record LocalUpdate(float[][] weights, int samples, Map<String, Double> metrics) {

  public LocalUpdate {
    metrics = Map.copyOf(metrics);
  }
}
