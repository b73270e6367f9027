package dev.flotilla.server.status;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.LateOrDropped;
import dev.flotilla.protocol.status.RoundRecord;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The readable summary {@code bin/flotilla status} prints: the job, its parties and one line per completed round. */
final class StatusSummary {

  private StatusSummary() {}

  static String of(JobStatus s) {
    StringBuilder out = new StringBuilder();
    line(out, "job %s: %s", s.jobId(), progress(s));
    line(out, "  model %s, strategy %s, model version %d, TLS %s", s.model().isEmpty() ? "(from a file)" : s.model(),
        s.strategy(), s.modelVersion(), s.tlsProvider());
    line(out, "  parties %d of %d slots (%s), %d connected%s", s.parties().size(), s.capacity(),
        s.allowedParties() == null ? "open enrollment" : "allow-list of " + s.allowedParties().size(),
        s.partiesConnected().size(), s.parties().isEmpty() ? "" : ": " + named(s));
    line(out, "  accuracy initial %s, final %s%s", percent(s.initialAccuracy()), percent(s.finalAccuracy()),
        s.finalEvaluations().isEmpty() ? "" : " (" + s.finalEvaluations().size() + " final evaluations)");
    line(out, "  traffic %s up, %s down", bytes(s.bytesUp()), bytes(s.bytesDown()));
    if (s.privacy() != null) {
      var p = s.privacy();
      line(out, "  privacy: epsilon %.4g spent of %s (delta %s), %d rounds allowed; clip norm %s, noise multiplier "
          + "%s, sampling rate %s", p.epsilonSpent(), p.epsilonBudget(), p.delta(), p.roundsAllowed(), p.clipNorm(),
          p.noiseMultiplier(), p.samplingRate());
    }
    if (s.endReason() != null) {
      line(out, "  ended early: %s", s.endReason());
    }
    if (s.exportedModel() != null) {
      line(out, "  exported %s", s.exportedModel());
    }
    line(out, "  updated %s", Instant.ofEpochMilli(s.updatedUnixMillis()));
    if (s.rounds().isEmpty()) {
      line(out, "no round completed yet");
      return out.toString();
    }
    line(out, "");
    line(out, "%5s  %7s  %9s  %8s  %9s  %9s  %10s  %9s  %11s  %s", "round", "parties", "samples", "accuracy", "duration",
        "training", "evaluation", "protocol", "aggregation", "late or dropped");
    for (RoundRecord r : s.rounds()) {
      line(out, "%5d  %7d  %9d  %8s  %9s  %9s  %10s  %9s  %11s  %s", r.round(), r.parties().size(), r.samples(),
          percent(s.accuracyAfterRound(r.round()).isPresent() ? s.accuracyAfterRound(r.round()).getAsDouble() : null),
          seconds(r.durationSeconds()), seconds(r.trainingSeconds()), seconds(r.evaluationSeconds()),
          seconds(r.protocolSeconds()), String.format(Locale.ROOT, "%.2f ms", r.aggregationSeconds() * 1000),
          r.lateOrDropped().isEmpty() ? "-" : String.join(", ", r.lateOrDropped().keySet()));
    }
    line(out, "accuracy: of the global model the round produced; training, evaluation: of the round's slowest update; "
        + "protocol: the rest of the duration");
    List<RoundRecord> masked = s.rounds().stream().filter(r -> r.shareRoutes() != null).toList();
    if (!masked.isEmpty()) {
      line(out, "SecAgg+ shares:");
      for (RoundRecord r : masked) {
        line(out, "  round %d: %s", r.round(), r.shareRoutes().describe());
      }
    }
    List<LateOrDropped> late = s.lateOrDropped().stream().filter(e -> !e.parties().isEmpty()).toList();
    if (!late.isEmpty()) {
      line(out, "late or dropped:");
      for (LateOrDropped entry : late) {
        for (Map.Entry<String, String> reason : entry.reasons().entrySet()) {
          line(out, "  round %d: %s (%s)", entry.round(), reason.getKey(), reason.getValue());
        }
      }
    }
    return out.toString();
  }

  private static String progress(JobStatus s) {
    if (s.finished()) {
      return String.format(Locale.ROOT, "finished, %d of %d rounds", s.roundsCompleted(), s.roundsTotal());
    }
    if (s.currentRound() != null) {
      return String.format(Locale.ROOT, "running round %d of %d", s.currentRound(), s.roundsTotal());
    }
    return String.format(Locale.ROOT, "waiting for parties, %d of %d rounds completed", s.roundsCompleted(),
        s.roundsTotal());
  }

  /** The parties in order of joining, the connected ones marked with *. */
  private static String named(JobStatus s) {
    return String.join(", ", s.parties().stream()
        .map(name -> s.partiesConnected().contains(name) ? name + "*" : name).toList())
        + (s.partiesConnected().isEmpty() ? "" : " (* connected)");
  }

  private static void line(StringBuilder out, String format, Object... args) {
    out.append(String.format(Locale.ROOT, format, args)).append('\n');
  }

  static String percent(Double fraction) {
    return fraction == null ? "-" : String.format(Locale.ROOT, "%.2f%%", fraction * 100);
  }

  private static String seconds(Double value) {
    return value == null ? "-" : String.format(Locale.ROOT, "%.2f s", value);
  }

  static String bytes(long bytes) {
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    if (bytes < 1024L * 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
    return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  }
}
