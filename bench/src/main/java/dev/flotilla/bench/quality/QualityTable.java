package dev.flotilla.bench.quality;

import java.util.List;
import java.util.Locale;

/**
 * The benchmark's one table, in Markdown: per round, for every partition, the accuracy of Flotilla and of
 * the PyTorch reference side by side with their difference (and the difference to the reference run with
 * PyTorch's native convolution kernels), the largest difference against the limit; then the training
 * speed of one party against PyTorch in Python.
 */
final class QualityTable {
  private QualityTable() {}

  static String markdown(List<PartitionRun> runs, List<SpeedComparison.Result> speeds, String model) {
    StringBuilder s = new StringBuilder();
    s.append("| ").append(model);
    for (PartitionRun run : runs) {
      s.append(" | Flotilla ").append(run.partition()).append(" | PyTorch ").append(run.partition())
          .append(" | diff (pt) | diff to PyTorch, native conv (pt)");
    }
    s.append(" |\n|---").append("|---:|---:|---:|---:".repeat(runs.size())).append("|\n");
    int rounds = runs.stream().mapToInt(r -> r.reference().rounds()).max().orElse(0);
    for (int round = 0; round <= rounds; round++) {
      s.append(round == 0 ? "| round 0 (initial model)" : "| round " + round);
      for (PartitionRun run : runs) {
        Comparison c = run.reference();
        s.append(" | ").append(percent(c.flotilla().afterRound(round)))
            .append(" | ").append(percent(c.reference().afterRound(round)))
            .append(" | ").append(points(c.differencePoints(round)))
            .append(" | ").append(run.nativeKernels() == null ? "-" : points(run.nativeKernels().differencePoints(round)));
      }
      s.append(" |\n");
    }
    s.append(String.format(Locale.ROOT, "| **max diff, rounds 1-%d** (limit %.2f pt)", rounds,
        runs.isEmpty() ? Double.NaN : runs.get(0).reference().limitPoints()));
    for (PartitionRun run : runs) {
      s.append(" | | | **").append(verdict(run.reference())).append("** | ")
          .append(run.nativeKernels() == null ? "-" : points(run.nativeKernels().maxDifferencePoints()));
    }
    s.append(" |\n");
    String padding = " | | | |".repeat(Math.max(0, runs.size() - 1));
    for (SpeedComparison.Result speed : speeds) {
      // one party's training speed goes under the first partition's Flotilla and PyTorch columns
      s.append(String.format(Locale.ROOT,
          "| training speed of one party, samples/s, %d thread%s | %.0f | %.0f | ratio %.2f | native conv: %.0f, ratio %.2f",
          speed.threads(), speed.threads() == 1 ? "" : "s", speed.flotilla().samplesPerSecond(),
          speed.pytorch().samplesPerSecond(), speed.ratio(), speed.pytorchNative().samplesPerSecond(),
          speed.nativeRatio()));
      s.append(padding).append(" |\n");
    }
    return s.toString();
  }

  static String verdict(Comparison c) {
    if (!c.missingRounds().isEmpty()) {
      return "rounds " + c.missingRounds() + " not reported: FAIL";
    }
    return String.format(Locale.ROOT, "%.2f %s", c.maxDifferencePoints(), c.withinLimit() ? "within" : "OVER");
  }

  static String percent(Double fraction) {
    return fraction == null ? "-" : String.format(Locale.ROOT, "%.2f%%", fraction * 100);
  }

  static String points(Double points) {
    return points == null || points.isNaN() ? "-" : String.format(Locale.ROOT, "%.2f", points);
  }
}
