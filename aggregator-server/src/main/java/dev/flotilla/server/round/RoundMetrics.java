package dev.flotilla.server.round;

import dev.flotilla.protocol.status.LateOrDropped;
import dev.flotilla.protocol.status.MetricNames;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.status.RoundTimes;
import dev.flotilla.server.aggregate.WeightedMean;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The learning figures of the status file, from plain values: the parties' reported metrics, weighted. */
final class RoundMetrics {

  private RoundMetrics() {}

  /**
   * Per metric name, the mean of the updates' values weighted by their num_samples; the parties'
   * times are left out (a sample-weighted mean of seconds means nothing: see {@link #times}).
   */
  static Map<String, Double> weighted(Iterable<PartyOutcome.Submitted> updates) {
    Map<String, WeightedMean> sums = new TreeMap<>();
    for (PartyOutcome.Submitted u : updates) {
      for (Map.Entry<String, Double> e : u.metrics().entrySet()) {
        if (e.getKey().equals(MetricNames.TRAIN_SECONDS) || e.getKey().equals(MetricNames.EVAL_SECONDS)) {
          continue;
        }
        sums.computeIfAbsent(e.getKey(), k -> new WeightedMean()).add(e.getValue(), u.samples());
      }
    }
    Map<String, Double> means = new TreeMap<>();
    sums.forEach((k, m) -> {
      if (!m.isEmpty()) {
        means.put(k, m.value());
      }
    });
    return means;
  }

  /** The round's duration split into training, evaluation and protocol time by the updates' reported times. */
  static RoundTimes times(double durationSeconds, Collection<PartyOutcome.Submitted> updates) {
    return RoundTimes.split(durationSeconds, updates.stream().map(PartyOutcome.Submitted::metrics).toList());
  }

  /** Mean of the final evaluations' accuracy weighted by their num_samples (a report of 0 samples weighs 1); null if none. */
  static Double finalAccuracy(Collection<Map<String, Double>> finalEvaluations) {
    WeightedMean mean = new WeightedMean();
    for (Map<String, Double> e : finalEvaluations) {
      Double acc = e.get(MetricNames.ACCURACY);
      if (acc != null) {
        double w = e.getOrDefault(MetricNames.NUM_SAMPLES, 0.0);
        mean.add(acc, w > 0 ? w : 1);
      }
    }
    return mean.value();
  }

  /**
   * Entry i is the accuracy of the global model produced by round i+1: the sample-weighted mean the
   * parties reported with their next round's updates, or, for the final model of a finished job,
   * the final evaluations; null while not yet known.
   */
  static List<Double> accuracyPerRound(List<RoundRecord> history, int roundsCompleted, boolean finished,
      Double finalAccuracy) {
    List<Double> out = new ArrayList<>();
    for (int v = 1; v <= roundsCompleted; v++) {
      Double acc = null;
      for (RoundRecord r : history) {
        if (r.evaluatedModelVersion() == v) {
          acc = r.accuracy();
        }
      }
      if (acc == null && v == roundsCompleted && finished) {
        acc = finalAccuracy;
      }
      out.add(acc);
    }
    return out;
  }

  /** The status file's late_or_dropped list: per completed round, who did not contribute and why. */
  static List<LateOrDropped> lateOrDropped(List<RoundRecord> history) {
    return history.stream().map(LateOrDropped::of).toList();
  }
}
