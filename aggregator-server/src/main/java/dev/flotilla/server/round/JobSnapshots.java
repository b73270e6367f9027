package dev.flotilla.server.round;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.state.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.nio.file.Path;

/**
 * Snapshots of a job taken under its lock and written later by the {@link StateWriter}: the status
 * document and the checkpoint. A snapshot shares nothing that changes afterwards (the global model
 * is immutable once published; lists, maps and the strategy's moments are copied).
 */
final class JobSnapshots {

  private static final Logger log = LoggerFactory.getLogger(JobSnapshots.class);

  private JobSnapshots() {}

  /** The job's status (the status file's content; aggregator-server/README.md describes its fields). */
  static JobStatus status(JobState job) {
    var config = job.config;
    var slots = job.parties;
    Double finalAccuracy = RoundMetrics.finalAccuracy(job.finalEvaluations.values());
    Map<String, Map<String, Double>> evaluations = new LinkedHashMap<>();
    job.finalEvaluations.forEach((party, values) -> evaluations.put(party, new TreeMap<>(values)));
    return new JobStatus(
        job.jobId,
        job.source.name(),
        absolute(config.initialModel()),
        absolute(job.exportedFinal),
        absolute(job.export.roundsDirectory()),
        job.strategy.name(),
        job.roundsCompleted,
        config.rounds(),
        job.finished,
        job.model.version(),
        slots.allowList().isOpen() ? "open" : "allow-list",
        slots.allowList().isOpen() ? null : List.copyOf(slots.allowList().names()),
        slots.capacity(),
        List.copyOf(slots.names()),
        slots.connectedNames(),
        job.current == null ? null : job.current.round.number(),
        job.history.isEmpty() ? null : job.history.get(0).accuracy(),
        RoundMetrics.accuracyPerRound(job.history, job.roundsCompleted, job.finished, finalAccuracy),
        finalAccuracy,
        RoundMetrics.lateOrDropped(job.history),
        List.copyOf(job.history),
        evaluations,
        job.metrics.bytesUp(),
        job.metrics.bytesDown(),
        job.tlsProvider,
        job.clock.millis(),
        job.privacy == null ? null : job.privacy.status(job.spent, config.rounds()),
        job.endReason);
  }

  private static String absolute(Path path) {
    return path == null ? null : path.toAbsolutePath().toString();
  }

  static byte[] statusJson(JobState job) {
    return StatusJson.write(status(job)).getBytes(StandardCharsets.UTF_8);
  }

  /** Everything a restarted server needs, as of now. */
  static Checkpoint checkpoint(JobState job) {
    List<Checkpoint.PartyRecord> known = new ArrayList<>();
    for (Party p : job.parties.all()) {
      known.add(new Checkpoint.PartyRecord(p.name, p.index, p.numSamples));
    }
    GlobalModel global = job.model.current();
    return new Checkpoint(job.jobId, job.source.name(), job.specs, job.strategy.name(), job.config.rounds(),
        job.roundsCompleted, global.version(), global, copy(job.strategy.state()), known,
        List.copyOf(job.history), new LinkedHashMap<>(job.finalEvaluations), job.metrics.bytesUp(),
        job.metrics.bytesDown(), job.spent);
  }

  /** Queues a checkpoint of the job as of now (callers hold the lock). */
  static void queueCheckpoint(JobState job, String what) {
    Checkpoint checkpoint = checkpoint(job);
    job.writer.submit(what, () -> job.checkpoints.save(checkpoint));
  }

  /** Queues round's global model for <state-dir>/models/ with --export-every-round. */
  static void queueRoundExport(JobState job, int round, GlobalModel model) {
    if (job.export.roundFile(round) == null) {
      return;
    }
    job.writer.submit("round " + round + "'s model", () -> {
      Path file = job.export.writeRound(model, round);
      log.info("job {}: round {}: exported the global model (version {}) to {}", job.jobId, round, model.version(),
          file.toAbsolutePath());
    });
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
