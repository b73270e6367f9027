package dev.flotilla.server.round;

import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.HeapModel;
import dev.flotilla.server.state.Checkpoint;
import dev.flotilla.server.state.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Snapshots of a job taken under its lock and written later by the {@link StateWriter}: the status
 * document and the checkpoint. A snapshot shares nothing that changes afterwards (the global model
 * is immutable once published; lists, maps and the strategy's moments are copied).
 */
final class JobSnapshots {

  private JobSnapshots() {}

  /** The status document (see the README of aggregator-server for its fields). */
  static Map<String, Object> status(JobState job) {
    var config = job.config;
    var slots = job.parties;
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("job_id", job.jobId);
    s.put("model", job.source.name());
    s.put("initial_model", config.initialModel() == null ? null : config.initialModel().toAbsolutePath().toString());
    s.put("exported_model", job.exportedFinal == null ? null : job.exportedFinal.toAbsolutePath().toString());
    s.put("exported_rounds_directory", job.export.roundsDirectory() == null ? null
        : job.export.roundsDirectory().toAbsolutePath().toString());
    s.put("strategy", job.strategy.name());
    s.put("rounds_completed", job.roundsCompleted);
    s.put("rounds_total", config.rounds());
    s.put("finished", job.finished);
    s.put("model_version", job.model.version());
    s.put("enrollment", slots.allowList().isOpen() ? "open" : "allow-list");
    s.put("allowed_parties", slots.allowList().isOpen() ? null : List.copyOf(slots.allowList().names()));
    s.put("capacity", slots.capacity());
    s.put("parties", List.copyOf(slots.names()));
    s.put("parties_connected", slots.connectedNames());
    s.put("current_round", job.current == null ? null : job.current.round.number());
    Double finalAccuracy = RoundMetrics.finalAccuracy(job.finalEvaluations.values());
    s.put("initial_accuracy", job.history.isEmpty() ? null : job.history.get(0).metrics().get("accuracy"));
    s.put("accuracy_per_round", RoundMetrics.accuracyPerRound(job.history, job.roundsCompleted, job.finished,
        finalAccuracy));
    s.put("final_accuracy", finalAccuracy);
    s.put("late_or_dropped", RoundMetrics.lateOrDropped(job.history));
    s.put("rounds", List.copyOf(job.history));
    s.put("final_evaluations", new LinkedHashMap<>(job.finalEvaluations));
    s.put("bytes_up", job.metrics.bytesUp());
    s.put("bytes_down", job.metrics.bytesDown());
    s.put("tls_provider", job.tlsProvider);
    s.put("updated_unix_millis", job.clock.millis());
    return s;
  }

  static byte[] statusJson(JobState job) {
    return Json.GSON.toJson(status(job)).getBytes(StandardCharsets.UTF_8);
  }

  /** Everything a restarted server needs, as of now. */
  static Checkpoint checkpoint(JobState job) {
    List<Checkpoint.PartyRecord> known = new ArrayList<>();
    for (Party p : job.parties.all()) {
      known.add(new Checkpoint.PartyRecord(p.name, p.index, p.numSamples));
    }
    GlobalModel global = job.model.current();
    return new Checkpoint(job.jobId, job.source.name(), job.specs, job.strategy.name(), job.config.rounds(),
        job.roundsCompleted, global.version(), values(global), copy(job.strategy.state()), known,
        List.copyOf(job.history), new LinkedHashMap<>(job.finalEvaluations), job.metrics.bytesUp(),
        job.metrics.bytesDown());
  }

  /** The values of a model as arrays: a heap model's own (immutable), else read block by block. */
  static float[][] values(GlobalModel model) {
    if (model instanceof HeapModel heap) {
      return heap.values();
    }
    float[][] out = new float[model.specs().size()][];
    for (int t = 0; t < out.length; t++) {
      out[t] = new float[model.specs().get(t).numElements()];
      model.read(t, 0, out[t], 0, out[t].length);
    }
    return out;
  }

  /** The strategy's moments change every round: the writer gets a copy. */
  private static Map<String, float[][]> copy(Map<String, float[][]> state) {
    Map<String, float[][]> out = new LinkedHashMap<>();
    state.forEach((name, tensors) -> {
      float[][] c = new float[tensors.length][];
      for (int t = 0; t < tensors.length; t++) {
        c[t] = tensors[t].clone();
      }
      out.put(name, c);
    });
    return out;
  }
}
