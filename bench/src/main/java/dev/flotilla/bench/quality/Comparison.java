package dev.flotilla.bench.quality;

import java.util.ArrayList;
import java.util.List;

/**
 * Flotilla's curve against the reference's at equal rounds: the largest absolute difference in
 * percentage points over rounds 1..R, against a limit. A round either side did not report counts as a
 * failure, never as agreement.
 */
record Comparison(String partition, Curve flotilla, Curve reference, double limitPoints) {

  /** |Flotilla - reference| in points after {@code round}, or null when either is missing. */
  Double differencePoints(int round) {
    Double f = flotilla.afterRound(round);
    Double r = reference.afterRound(round);
    return f == null || r == null ? null : Math.abs(f - r) * 100;
  }

  int rounds() {
    return Math.max(flotilla.rounds(), reference.rounds());
  }

  /** The rounds 1..R that one side did not report. */
  List<Integer> missingRounds() {
    List<Integer> missing = new ArrayList<>();
    for (int round = 1; round <= rounds(); round++) {
      if (differencePoints(round) == null) {
        missing.add(round);
      }
    }
    return missing;
  }

  /** The largest difference over rounds 1..R that both reported (NaN if none). */
  double maxDifferencePoints() {
    double max = Double.NaN;
    for (int round = 1; round <= rounds(); round++) {
      Double d = differencePoints(round);
      if (d != null && !(d <= max)) {
        max = d;
      }
    }
    return max;
  }

  boolean withinLimit() {
    return rounds() > 0 && missingRounds().isEmpty() && maxDifferencePoints() <= limitPoints;
  }
}
