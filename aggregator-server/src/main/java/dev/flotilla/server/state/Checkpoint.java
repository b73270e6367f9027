package dev.flotilla.server.state;

import dev.flotilla.server.round.RoundRecord;
import java.util.List;
import java.util.Map;

/**
 * Everything a restarted server needs to go on from the last completed round.
 *
 * @param modelVersion version of {@code global} (= rounds completed)
 * @param finalEvaluations party -> metrics of its final evaluation ("accuracy", "loss", "num_samples")
 */
public record Checkpoint(
    String jobId,
    String model,
    String strategy,
    int roundsTotal,
    int roundsCompleted,
    long modelVersion,
    float[][] global,
    Map<String, float[][]> strategyState,
    List<PartyRecord> parties,
    List<RoundRecord> history,
    Map<String, Map<String, Double>> finalEvaluations,
    long bytesUp,
    long bytesDown) {

  /** A party known to the job: its identity, stable index and announced sample count. */
  public record PartyRecord(String name, int index, long numSamples) {}
}
