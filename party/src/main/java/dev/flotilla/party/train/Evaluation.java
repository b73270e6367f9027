package dev.flotilla.party.train;

import static dev.flotilla.protocol.status.MetricNames.ACCURACY;
import static dev.flotilla.protocol.status.MetricNames.LOSS;
import static dev.flotilla.protocol.status.MetricNames.R2;

import java.util.Map;
import java.util.TreeMap;

/**
 * A model's quality on a data set, as the task measures it: "loss" (mean cross-entropy or mean
 * squared error) plus "accuracy" (classification) or "r2" (regression).
 *
 * @param metrics metric name to value
 * @param samples samples evaluated
 */
public record Evaluation(Map<String, Double> metrics, int samples) {

  public Evaluation {
    metrics = Map.copyOf(metrics);
    if (!metrics.containsKey(LOSS)) {
      throw new IllegalArgumentException("an evaluation needs a loss, got " + metrics.keySet());
    }
  }

  public static Evaluation classification(double loss, double accuracy, int samples) {
    return new Evaluation(Map.of(LOSS, loss, ACCURACY, accuracy), samples);
  }

  public static Evaluation regression(double meanSquaredError, double r2, int samples) {
    return new Evaluation(Map.of(LOSS, meanSquaredError, R2, r2), samples);
  }

  public double loss() {
    return metrics.get(LOSS);
  }

  /** The task's quality metric: accuracy for classification, R² for regression, else the negated loss. */
  public double score() {
    if (metrics.containsKey(ACCURACY)) {
      return metrics.get(ACCURACY);
    }
    if (metrics.containsKey(R2)) {
      return metrics.get(R2);
    }
    return -loss();
  }

  /** The metrics as "accuracy 0.8512, loss 0.4123" for logs. */
  public String describe() {
    StringBuilder text = new StringBuilder();
    new TreeMap<>(metrics).forEach((name, value) -> {
      if (text.length() > 0) {
        text.append(", ");
      }
      text.append(name).append(' ').append(String.format(java.util.Locale.ROOT, "%.4f", value));
    });
    return text.toString();
  }
}
