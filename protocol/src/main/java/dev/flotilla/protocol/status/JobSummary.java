package dev.flotilla.protocol.status;

import java.util.List;
import java.util.Map;

/**
 * A job's progress in a few numbers, small enough for a Kubernetes termination message (at most
 * {@link StatusJson#MAX_SUMMARY_BYTES}): what the aggregator writes to {@code --termination-message}
 * when the job ends and the controller copies into the IflearnerJob's status. Read and written by
 * {@link StatusJson#readSummary} and {@link StatusJson#writeSummary}; derived from the full
 * {@link JobStatus} by {@link #of}.
 *
 * @param jobId the job
 * @param roundsCompleted rounds aggregated and checkpointed
 * @param roundsTotal rounds the job runs
 * @param finished whether the job ended: with all its rounds, or early ({@code endReason} says why)
 * @param partiesConnected parties with a live Rounds stream
 * @param partiesExpected slots of the job (its --expected-parties)
 * @param lastAccuracy accuracy of the newest global model reported ({@link MetricNames#ACCURACY}), or null
 * @param lastLoss loss of the newest evaluated global model reported ({@link MetricNames#LOSS}), or null
 * @param finalAccuracy sample-weighted accuracy of the final model's evaluations, or null
 * @param lastRoundUnixMillis when the last round completed, or null before the first
 * @param updatedUnixMillis when the summary was made
 * @param epsilonSpent the differential-privacy epsilon spent by the rounds completed, null without a budget
 * @param endReason why the job ended before its last round (e.g. its privacy budget), else null
 */
public record JobSummary(
    String jobId,
    int roundsCompleted,
    int roundsTotal,
    boolean finished,
    int partiesConnected,
    int partiesExpected,
    @Nullable Double lastAccuracy,
    @Nullable Double lastLoss,
    @Nullable Double finalAccuracy,
    @Nullable Long lastRoundUnixMillis,
    long updatedUnixMillis,
    @Nullable @MayBeAbsent Double epsilonSpent,
    @Nullable @MayBeAbsent String endReason) {

  /** The summary of a full status. */
  public static JobSummary of(JobStatus status) {
    Double lastAccuracy = null;
    List<Double> perRound = status.accuracyPerRound();
    for (int i = perRound.size() - 1; i >= 0 && lastAccuracy == null; i--) {
      lastAccuracy = perRound.get(i);
    }
    if (lastAccuracy == null) {
      lastAccuracy = status.finalAccuracy();
    }
    Double lastLoss = null;
    Long lastRound = null;
    List<RoundRecord> rounds = status.rounds();
    if (!rounds.isEmpty()) {
      RoundRecord last = rounds.get(rounds.size() - 1);
      lastRound = last.completedUnixMillis();
      for (int i = rounds.size() - 1; i >= 0 && lastLoss == null; i--) {
        Map<String, Double> metrics = rounds.get(i).metrics();
        lastLoss = metrics == null ? null : metrics.get(MetricNames.LOSS);
      }
    }
    return new JobSummary(status.jobId(), status.roundsCompleted(), status.roundsTotal(), status.finished(),
        status.partiesConnected().size(), status.capacity(), lastAccuracy, lastLoss, status.finalAccuracy(), lastRound,
        status.updatedUnixMillis(), status.privacy() == null ? null : status.privacy().epsilonSpent(),
        status.endReason());
  }
}
