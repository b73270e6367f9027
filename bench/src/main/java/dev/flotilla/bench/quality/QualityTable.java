package dev.flotilla.bench.quality;

import java.util.List;
import java.util.Locale;

/**
 * The benchmark's one table, in Markdown: per round the accuracy of Flotilla and of the PyTorch
 * reference for every partition side by side with their difference, the largest difference against the
 * limit, then the training speed of one party against PyTorch in Python.
 */
final class QualityTable {
  private QualityTable() {}

  static String markdown(List<Comparison> comparisons, List<SpeedComparison.Result> speeds, String model) {
    StringBuilder s = new StringBuilder();
    s.append("| ").append(model);
    for (Comparison c : comparisons) {
      s.append(" | Flotilla ").append(c.partition()).append(" | PyTorch ").append(c.partition()).append(" | diff (pt)");
    }
    s.append(" |\n|---");
    s.append("|---:|---:|---:".repeat(comparisons.size())).append("|\n");
    int rounds = comparisons.stream().mapToInt(Comparison::rounds).max().orElse(0);
    for (int round = 0; round <= rounds; round++) {
      s.append(round == 0 ? "| round 0 (initial model)" : "| round " + round);
      for (Comparison c : comparisons) {
        s.append(" | ").append(percent(c.flotilla().afterRound(round)))
            .append(" | ").append(percent(c.reference().afterRound(round)))
            .append(" | ").append(points(c.differencePoints(round)));
      }
      s.append(" |\n");
    }
    s.append(String.format(Locale.ROOT, "| **max diff, rounds 1-%d** (limit %.2f pt)", rounds,
        comparisons.isEmpty() ? Double.NaN : comparisons.get(0).limitPoints()));
    for (Comparison c : comparisons) {
      s.append(" | | | **").append(verdict(c)).append("**");
    }
    s.append(" |\n");
    for (SpeedComparison.Result speed : speeds) {
      // one party's training speed goes under the first partition's Flotilla and PyTorch columns
      s.append(String.format(Locale.ROOT, "| training speed of one party, samples/s, %d thread%s | %.0f | %.0f | ratio %.2f",
          speed.threads(), speed.threads() == 1 ? "" : "s", speed.flotilla().samplesPerSecond(),
          speed.pytorch().samplesPerSecond(), speed.ratio()));
      s.append(" | | |".repeat(Math.max(0, comparisons.size() - 1))).append(" |\n");
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
    return points == null ? "-" : String.format(Locale.ROOT, "%.2f", points);
  }
}
