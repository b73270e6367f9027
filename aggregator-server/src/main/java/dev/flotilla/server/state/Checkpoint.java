package dev.flotilla.server.state;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.server.model.GlobalModel;
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
    long bytesDown) {

  public Checkpoint {
    layout = List.copyOf(layout);
  }

  /** A party known to the job: its identity, stable index and announced sample count. */
  public record PartyRecord(String name, int index, long numSamples) {}
}
