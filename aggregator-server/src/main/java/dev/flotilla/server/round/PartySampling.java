package dev.flotilla.server.round;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Which of the eligible parties a round asks to train (--fraction, as Flower's fraction_fit): a
 * share of them, at least --min-parties, drawn from the job's seed and the round number, so a
 * rerun of the job (or its simulation) asks the same parties, and a retried attempt the same ones.
 */
final class PartySampling {

  private PartySampling() {}

  /**
   * @param eligible the connected parties that may train, in registry order
   * @return the chosen parties in the order of {@code eligible}; all of them when fraction is 1
   */
  static List<String> choose(List<String> eligible, double fraction, int minParties, long seed, int round) {
    if (fraction >= 1 || eligible.isEmpty()) {
      return List.copyOf(eligible);
    }
    int wanted = (int) Math.ceil(fraction * eligible.size());
    wanted = Math.min(eligible.size(), Math.max(wanted, minParties));
    List<String> sorted = new ArrayList<>(eligible);
    // by name, so the draw does not depend on the order in which parties happened to connect
    Collections.sort(sorted);
    Collections.shuffle(sorted, new Random(seed * 0x9E3779B97F4A7C15L + round));
    List<String> chosen = sorted.subList(0, wanted);
    return eligible.stream().filter(chosen::contains).toList();
  }
}
