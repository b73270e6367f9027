package dev.flotilla.protocol.status;

import java.util.List;
import java.util.Map;

/**
 * What happened in one completed round: an entry of the status file's {@code rounds} (and of the
 * server's checkpoint history).
 *
 * @param round 1-based round number
 * @param attempts how many times the round was started (more than 1 when it was retried)
 * @param parties parties whose updates were aggregated
 * @param lateOrDropped party name -> "late", "dropped" or "rejected: ..." over all attempts
 * @param samples total samples of the aggregated updates
 * @param evaluatedModelVersion the global model the parties evaluated in their updates' metrics
 *     (round - 1: the model they started the round from)
 * @param metrics sample-weighted means of the parties' reported metrics ({@link MetricNames})
 * @param durationSeconds from the round's start (train requests sent) to the new global model
 * @param aggregationSeconds computing the new global model from the folded updates (part of the protocol time)
 * @param trainingSeconds training time of the round's critical update (see {@link RoundTimes}); null when
 *     no aggregated update reported {@value MetricNames#TRAIN_SECONDS}
 * @param evaluationSeconds evaluation time of the same update; null like {@code trainingSeconds}
 * @param protocolSeconds duration - training - evaluation, at least 0; null like {@code trainingSeconds}
 * @param bytesUpTotal the job's {@code bytes_up} when the round completed (so a round's own traffic is the
 *     difference with the round before); null in records of servers that did not count it per round
 * @param bytesDownTotal the job's {@code bytes_down} when the round completed; null like {@code bytesUpTotal}
 * @param completedUnixMillis when the round completed
 * @param shareRoutes how a SecAgg+ round's shares travelled (party to party, by the aggregator's relay); null
 *     for a round without secure aggregation and in records of servers that did not count them
 */
public record RoundRecord(
    int round,
    int attempts,
    List<String> parties,
    Map<String, String> lateOrDropped,
    long samples,
    long evaluatedModelVersion,
    Map<String, Double> metrics,
    double durationSeconds,
    double aggregationSeconds,
    @MayBeAbsent @Nullable Double trainingSeconds,
    @MayBeAbsent @Nullable Double evaluationSeconds,
    @MayBeAbsent @Nullable Double protocolSeconds,
    @MayBeAbsent @Nullable Long bytesUpTotal,
    @MayBeAbsent @Nullable Long bytesDownTotal,
    long completedUnixMillis,
    @MayBeAbsent @Nullable ShareRoutes shareRoutes) {

  /** A record without share routes (no secure aggregation). */
  public RoundRecord(int round, int attempts, List<String> parties, Map<String, String> lateOrDropped, long samples,
      long evaluatedModelVersion, Map<String, Double> metrics, double durationSeconds, double aggregationSeconds,
      Double trainingSeconds, Double evaluationSeconds, Double protocolSeconds, Long bytesUpTotal, Long bytesDownTotal,
      long completedUnixMillis) {
    this(round, attempts, parties, lateOrDropped, samples, evaluatedModelVersion, metrics, durationSeconds,
        aggregationSeconds, trainingSeconds, evaluationSeconds, protocolSeconds, bytesUpTotal, bytesDownTotal,
        completedUnixMillis, null);
  }

  /** A record whose times are split by {@code times}. */
  public RoundRecord(int round, int attempts, List<String> parties, Map<String, String> lateOrDropped, long samples,
      long evaluatedModelVersion, Map<String, Double> metrics, double durationSeconds, double aggregationSeconds,
      RoundTimes times, long completedUnixMillis) {
    this(round, attempts, parties, lateOrDropped, samples, evaluatedModelVersion, metrics, durationSeconds,
        aggregationSeconds, times.trainingSeconds(), times.evaluationSeconds(), times.protocolSeconds(), null, null,
        completedUnixMillis);
  }

  /** This record with the job's byte totals at the round's completion. */
  public RoundRecord withBytesTotals(long up, long down) {
    return new RoundRecord(round, attempts, parties, lateOrDropped, samples, evaluatedModelVersion, metrics,
        durationSeconds, aggregationSeconds, trainingSeconds, evaluationSeconds, protocolSeconds, up, down,
        completedUnixMillis, shareRoutes);
  }

  /** This record with how its SecAgg+ shares travelled (null: no secure aggregation). */
  public RoundRecord withShareRoutes(ShareRoutes routes) {
    return new RoundRecord(round, attempts, parties, lateOrDropped, samples, evaluatedModelVersion, metrics,
        durationSeconds, aggregationSeconds, trainingSeconds, evaluationSeconds, protocolSeconds, bytesUpTotal,
        bytesDownTotal, completedUnixMillis, routes);
  }

  /** The round's accuracy metric (of model {@code evaluatedModelVersion}), or null if none was reported. */
  public Double accuracy() {
    return metrics == null ? null : metrics.get(MetricNames.ACCURACY);
  }
}
