package dev.flotilla.protocol.status;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;

/**
 * The aggregator's status of a job: what its {@code --status-file} holds (written and read by
 * {@link StatusJson}; aggregator-server/README.md describes every field). Field names on disk are
 * the components' names in snake_case.
 *
 * @param model the built-in's name or the initial model file's {@code flotilla.model}, else ""
 * @param initialModel absolute path of {@code --initial-model}, or null
 * @param exportedModel absolute path of the exported final model once written, else null
 * @param exportedRoundsDirectory where {@code --export-every-round} writes, or null
 * @param modelVersion version of the global model (= rounds completed)
 * @param enrollment "open" (no allow-list) or "allow-list"
 * @param allowedParties the allow-list now, null when enrollment is open
 * @param capacity slots of the job
 * @param parties names of the parties holding a slot, in order of joining
 * @param partiesConnected names with a live Rounds stream
 * @param currentRound round in progress, or null
 * @param initialAccuracy sample-weighted accuracy of the initial model (reported with round 1's updates)
 * @param accuracyPerRound entry i: accuracy of the model produced by round i+1, null while unknown
 * @param finalAccuracy mean of the final evaluations' accuracy weighted by their num_samples, or null
 * @param lateOrDropped per completed round, who did not contribute and why
 * @param rounds per completed round, what happened
 * @param finalEvaluations party -> its reported metrics of the final model and num_samples
 * @param bytesUp protobuf bytes of update chunks received over the whole job
 * @param bytesDown protobuf bytes of model chunks sent over the whole job
 * @param updatedUnixMillis time of writing
 * @param privacy the differential-privacy budget and what was spent of it, null for a job without one
 * @param endReason why the job ended before its last round (e.g. its privacy budget), else null
 */
public record JobStatus(
    String jobId,
    String model,
    @Nullable String initialModel,
    @Nullable String exportedModel,
    @Nullable String exportedRoundsDirectory,
    String strategy,
    int roundsCompleted,
    int roundsTotal,
    boolean finished,
    long modelVersion,
    String enrollment,
    @Nullable List<String> allowedParties,
    int capacity,
    List<String> parties,
    List<String> partiesConnected,
    @Nullable Integer currentRound,
    @Nullable Double initialAccuracy,
    @NullElements List<Double> accuracyPerRound,
    @Nullable Double finalAccuracy,
    List<LateOrDropped> lateOrDropped,
    List<RoundRecord> rounds,
    Map<String, Map<String, Double>> finalEvaluations,
    long bytesUp,
    long bytesDown,
    String tlsProvider,
    long updatedUnixMillis,
    @Nullable @MayBeAbsent PrivacyStatus privacy,
    @Nullable @MayBeAbsent String endReason) {

  /** The accuracy of the global model produced by this 1-based round, once reported. */
  public OptionalDouble accuracyAfterRound(int round) {
    Double value = round >= 1 && round <= accuracyPerRound.size() ? accuracyPerRound.get(round - 1) : null;
    return value == null ? OptionalDouble.empty() : OptionalDouble.of(value);
  }

  /** The record of a completed 1-based round. */
  public Optional<RoundRecord> round(int round) {
    return rounds.stream().filter(r -> r.round() == round).findFirst();
  }

  /** Completed round -> who was late, dropped or refused in it; rounds where everyone contributed are left out. */
  public Map<Integer, List<String>> lateOrDroppedByRound() {
    Map<Integer, List<String>> byRound = new TreeMap<>();
    lateOrDropped.stream().filter(entry -> !entry.parties().isEmpty())
        .forEach(entry -> byRound.put(entry.round(), entry.parties()));
    return byRound;
  }

  /** Every party that was late, dropped or refused in any completed round, in order of first appearance. */
  public Set<String> lateOrDroppedParties() {
    Set<String> all = new LinkedHashSet<>();
    lateOrDropped.forEach(entry -> all.addAll(entry.parties()));
    return all;
  }
}
