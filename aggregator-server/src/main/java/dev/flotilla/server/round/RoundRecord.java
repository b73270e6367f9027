package dev.flotilla.server.round;

import java.util.List;
import java.util.Map;

/**
 * What happened in one completed round.
 *
 * @param round 1-based round number
 * @param attempts how many times the round was started (more than 1 when it was retried)
 * @param parties parties whose updates were aggregated
 * @param lateOrDropped party name -> "late", "dropped" or "rejected: ..." over all attempts
 * @param samples total samples of the aggregated updates
 * @param evaluatedModelVersion the global model the parties evaluated in their updates' metrics
 *     (round - 1: the model they started the round from)
 * @param metrics sample-weighted means of the parties' reported metrics (loss, accuracy, train_loss)
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
    long completedUnixMillis) {}
