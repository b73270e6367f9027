package dev.flotilla.server.state;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.privacy.PrivacyLedger;
import java.util.List;
import java.util.Map;

/**
 * Everything a restarted server needs to go on from the last completed round.
 *
 * @param layout names, shapes and dtypes of the model's tensors; empty in a checkpoint written before
 *     layouts were recorded (then {@code model} names the built-in whose layout it has)
 * @param modelVersion version of {@code global} (= rounds completed)
 * @param global the global model; a loaded checkpoint's is read from the checkpoint file (see
 *     {@link CheckpointStore#load()}), with one-dimensional float32 specs when {@code layout} is empty
 * @param finalEvaluations party -> metrics of its final evaluation ("accuracy", "loss", "num_samples")
 * @param privacy what the rounds of a DP-FedAvg job spent and with which settings; null without a budget, and in
 *     a checkpoint written before ledgers were recorded
 */
public record Checkpoint(
    String jobId,
    String model,
    List<TensorSpec> layout,
    String strategy,
    int roundsTotal,
    int roundsCompleted,
    long modelVersion,
    GlobalModel global,
    Map<String, float[][]> strategyState,
    List<PartyRecord> parties,
    List<RoundRecord> history,
    Map<String, Map<String, Double>> finalEvaluations,
    long bytesUp,
    long bytesDown,
    PrivacyLedger privacy) {

  public Checkpoint {
    layout = List.copyOf(layout);
  }

  /** A checkpoint of a job without a privacy budget. */
  public Checkpoint(String jobId, String model, List<TensorSpec> layout, String strategy, int roundsTotal,
      int roundsCompleted, long modelVersion, GlobalModel global, Map<String, float[][]> strategyState,
      List<PartyRecord> parties, List<RoundRecord> history, Map<String, Map<String, Double>> finalEvaluations,
      long bytesUp, long bytesDown) {
    this(jobId, model, layout, strategy, roundsTotal, roundsCompleted, modelVersion, global, strategyState, parties,
        history, finalEvaluations, bytesUp, bytesDown, null);
  }

  /** A party known to the job: its identity, stable index and announced sample count. */
  public record PartyRecord(String name, int index, long numSamples) {}
}
