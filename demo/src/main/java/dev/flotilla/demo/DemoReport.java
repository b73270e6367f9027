package dev.flotilla.demo;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.flotilla.common.AtomicFiles;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.status.StatusView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** What {@code bin/flotilla demo --report FILE} writes: the run's settings and the server's final status. */
public record DemoReport(
    String model,
    String strategy,
    String partition,
    int parties,
    JobStatus status,
    List<Double> roundSeconds,
    double wallSeconds) {

  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("job_id", status.jobId());
    o.addProperty("model", model);
    o.addProperty("strategy", strategy);
    o.addProperty("partition", partition);
    o.addProperty("rounds_completed", status.roundsCompleted());
    o.addProperty("rounds_total", status.roundsTotal());
    o.addProperty("parties", parties);
    o.add("party_names", strings(status.parties()));
    o.addProperty("final_accuracy", status.finalAccuracy());
    JsonArray accuracies = new JsonArray();
    status.accuracyPerRound().forEach(accuracies::add);
    o.add("accuracy_per_round", accuracies);
    JsonArray seconds = new JsonArray();
    roundSeconds.forEach(s -> seconds.add(round3(s)));
    o.add("round_seconds", seconds);
    JsonArray times = new JsonArray();
    for (RoundRecord r : status.rounds()) {
      JsonObject t = new JsonObject();
      t.addProperty("round", r.round());
      t.addProperty("duration_seconds", round3(r.durationSeconds()));
      t.add("training_seconds", round3OrNull(r.trainingSeconds()));
      t.add("evaluation_seconds", round3OrNull(r.evaluationSeconds()));
      t.add("protocol_seconds", round3OrNull(r.protocolSeconds()));
      times.add(t);
    }
    o.add("round_times", times);
    o.add("training_seconds", round3OrNull(total(RoundRecord::trainingSeconds)));
    o.add("evaluation_seconds", round3OrNull(total(RoundRecord::evaluationSeconds)));
    o.add("protocol_seconds", round3OrNull(total(RoundRecord::protocolSeconds)));
    JsonObject late = new JsonObject();
    for (Map.Entry<Integer, List<String>> entry : status.lateOrDroppedByRound().entrySet()) {
      late.add(Integer.toString(entry.getKey()), strings(entry.getValue()));
    }
    o.add("late_or_dropped", late);
    o.addProperty("tls_provider", status.tlsProvider());
    o.addProperty("bytes_up", status.bytesUp());
    o.addProperty("bytes_down", status.bytesDown());
    o.addProperty("wall_seconds", round3(wallSeconds));
    o.addProperty("epsilon_spent", status.privacy() == null ? null : status.privacy().epsilonSpent());
    o.addProperty("end_reason", status.endReason());
    return o;
  }

  /**
   * Writes the JSON report to {@code file} and the HTML report (the aggregator's web view of the final
   * status, self-contained) beside it ({@link #htmlBeside}), each atomically (a temporary file beside
   * it, then a move).
   */
  public void writeTo(Path file) {
    writeTo(file, toJson());
  }

  /** The same with {@code json} as the JSON report: {@link #toJson()} amended (the simulator's central accuracy). */
  public void writeTo(Path file, JsonObject json) {
    writeAtomically(file, new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(json) + "\n");
    writeAtomically(htmlBeside(file), StatusView.report(status));
  }

  /** Where the HTML report of the JSON report {@code json} goes: the same name with .html for .json (or added). */
  public static Path htmlBeside(Path json) {
    String name = json.getFileName().toString();
    String base = name.toLowerCase(Locale.ROOT).endsWith(".json") ? name.substring(0, name.length() - 5) : name;
    return json.resolveSibling(base + ".html");
  }

  private static void writeAtomically(Path file, String content) {
    Path target = file.toAbsolutePath();
    try {
      AtomicFiles.writeString(target, content);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report " + target + ": " + e.getMessage(), e);
    }
  }

  /** The closing lines of the demo. */
  public String summary() {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "Federation %s finished: %d/%d rounds, %d parties, %s, %s, %s%n",
        status.jobId(), status.roundsCompleted(), status.roundsTotal(), parties, model, strategy, partition));
    s.append(String.format(Locale.ROOT, "  final accuracy   %s (global model on the test set)%n",
        status.finalAccuracy() != null ? percent(status.finalAccuracy()) : "not reported"));
    s.append(String.format(Locale.ROOT, "  per round        %s%n",
        status.accuracyPerRound().stream().map(DemoReport::percent).reduce((a, b) -> a + " " + b).orElse("-")));
    Double training = total(RoundRecord::trainingSeconds);
    if (training != null) {
      s.append(String.format(Locale.ROOT, "  round times      training %.1f s, evaluation %.1f s, protocol %.1f s "
              + "over %d rounds (protocol %.3f s a round)%n", training, total(RoundRecord::evaluationSeconds),
          total(RoundRecord::protocolSeconds), status.rounds().size(),
          total(RoundRecord::protocolSeconds) / status.rounds().size()));
    }
    s.append(String.format(Locale.ROOT, "  traffic          %s up, %s down over mTLS (%s)%n",
        bytes(status.bytesUp()), bytes(status.bytesDown()), status.tlsProvider()));
    if (!status.lateOrDroppedByRound().isEmpty()) {
      s.append(String.format(Locale.ROOT, "  late or dropped  %s%n", status.lateOrDroppedByRound()));
    }
    s.append(privacyLines(status));
    s.append(String.format(Locale.ROOT, "  wall time        %.1f s", wallSeconds));
    return s.toString();
  }

  /** The sum of a round time over the completed rounds; null when a round does not know it (an older server's). */
  private Double total(Function<RoundRecord, Double> time) {
    if (status.rounds().isEmpty() || status.rounds().stream().map(time).anyMatch(t -> t == null)) {
      return null;
    }
    return status.rounds().stream().map(time).mapToDouble(Double::doubleValue).sum();
  }

  /** Epsilon spent of a DP job's budget, and why a job ended early: a line each, or nothing. */
  public static String privacyLines(JobStatus status) {
    StringBuilder s = new StringBuilder();
    if (status.privacy() != null) {
      s.append(String.format(Locale.ROOT, "  privacy          epsilon %.4g spent of %s (delta %s)%n",
          status.privacy().epsilonSpent(), status.privacy().epsilonBudget(), status.privacy().delta()));
    }
    if (status.endReason() != null) {
      s.append(String.format(Locale.ROOT, "  ended early      %s%n", status.endReason()));
    }
    return s.toString();
  }

  /** The DP settings of a run, for its banner. */
  public static String describe(dev.flotilla.protocol.options.PrivacySettings p) {
    return String.format(Locale.ROOT, "DP-FedAvg: budget epsilon %s at delta %s, updates clipped to L2 %s, noise "
        + "multiplier %s, parties sampled at rate %s%s", p.epsilonBudget(), p.delta(), p.clipNorm(), p.noiseMultiplier(),
        p.samplingRate(), p.distributed() ? ", noise added by the parties in shares under SecAgg+ (dropout tolerance "
            + p.dropoutTolerance() + ")" : "");
  }

  public static String percent(Double fraction) {
    return fraction == null ? "-" : String.format(Locale.ROOT, "%.2f%%", fraction * 100);
  }

  static String bytes(long bytes) {
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }

  private static double round3(double value) {
    return Math.round(value * 1000.0) / 1000.0;
  }

  private static com.google.gson.JsonElement round3OrNull(Double value) {
    return value == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(round3(value));
  }

  private static JsonArray strings(List<String> values) {
    JsonArray array = new JsonArray();
    values.forEach(array::add);
    return array;
  }
}
