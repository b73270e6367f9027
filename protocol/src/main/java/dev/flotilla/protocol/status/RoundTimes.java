package dev.flotilla.protocol.status;

import java.util.Map;

/**
 * A round's duration split into training, evaluation and protocol time.
 *
 * <p>The round waits for its slowest party, so the times are those of the round's <em>critical
 * update</em>: of the aggregated updates that report {@value MetricNames#TRAIN_SECONDS}, the one with
 * the largest {@code train_seconds + eval_seconds} (an absent {@value MetricNames#EVAL_SECONDS} counts
 * as 0). Taking one party's pair, rather than the maximum of each figure over different parties, keeps
 * training + evaluation within the duration for honest parties. Protocol time is everything else:
 * {@code duration - training - evaluation} (joining the round, fetching the model, uploading, folding,
 * aggregating; aggregation is also recorded on its own).
 *
 * <p>The times are the parties' own reports, so they are clamped: a negative figure counts as 0,
 * training is at most the duration and evaluation at most what training left, so protocol time is
 * never negative and the three always add up to the duration.
 */
public record RoundTimes(Double trainingSeconds, Double evaluationSeconds, Double protocolSeconds) {

  /** No aggregated update reported its times. */
  public static final RoundTimes UNKNOWN = new RoundTimes(null, null, null);

  /** Splits {@code durationSeconds} by the metrics of the round's aggregated updates. */
  public static RoundTimes split(double durationSeconds, Iterable<Map<String, Double>> aggregatedMetrics) {
    double training = -1;
    double evaluation = 0;
    for (Map<String, Double> metrics : aggregatedMetrics) {
      Double t = metrics.get(MetricNames.TRAIN_SECONDS);
      if (t == null) {
        continue;
      }
      double train = nonNegative(t);
      double eval = nonNegative(metrics.getOrDefault(MetricNames.EVAL_SECONDS, 0.0));
      if (training < 0 || train + eval > training + evaluation) {
        training = train;
        evaluation = eval;
      }
    }
    if (training < 0) {
      return UNKNOWN;
    }
    double duration = nonNegative(durationSeconds);
    double clampedTraining = Math.min(training, duration);
    double clampedEvaluation = Math.min(evaluation, duration - clampedTraining);
    return new RoundTimes(clampedTraining, clampedEvaluation, duration - clampedTraining - clampedEvaluation);
  }

  private static double nonNegative(double value) {
    return value > 0 && Double.isFinite(value) ? value : 0;
  }
}
