package dev.flotilla.server.round;

import dev.flotilla.server.aggregate.WeightedMean;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The learning figures of the status file, from plain values: the parties' reported metrics, weighted. */
final class RoundMetrics {

  private RoundMetrics() {}

  /** Per metric name, the mean of the updates' values weighted by their num_samples. */
  static Map<String, Double> weighted(Iterable<PartyOutcome.Submitted> updates) {
    Map<String, WeightedMean> sums = new TreeMap<>();
    for (PartyOutcome.Submitted u : updates) {
      for (Map.Entry<String, Double> e : u.metrics().entrySet()) {
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

  /** Mean of the final evaluations' accuracy weighted by their num_samples (a report of 0 samples weighs 1); null if none. */
  static Double finalAccuracy(Collection<Map<String, Double>> finalEvaluations) {
    WeightedMean mean = new WeightedMean();
    for (Map<String, Double> e : finalEvaluations) {
      Double acc = e.get("accuracy");
      if (acc != null) {
        double w = e.getOrDefault("num_samples", 0.0);
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
          acc = r.metrics().get("accuracy");
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
  static List<Map<String, Object>> lateOrDropped(List<RoundRecord> history) {
    List<Map<String, Object>> late = new ArrayList<>();
    for (RoundRecord r : history) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("round", r.round());
      entry.put("parties", List.copyOf(r.lateOrDropped().keySet()));
      entry.put("reasons", r.lateOrDropped());
      late.add(entry);
    }
    return late;
  }
}
