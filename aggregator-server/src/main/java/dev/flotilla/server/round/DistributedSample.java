package dev.flotilla.server.round;

import dev.flotilla.protocol.secagg.SecAggParams;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Who pads a distributed-DP round (--dp-mode distributed with --dp-sampling-rate below 1). Each party is
 * sampled on its own (Poisson, as the accountant's subsampled Gaussian assumes), so a sample may hold fewer
 * than the 3 parties a masked round needs. Resampling or skipping such a round would raise a party's chance of
 * being in a released round above the rate; instead non-sampled parties, drawn at random, fill the roster up to
 * 3 and send their noise share only (a zero difference). The sum then holds the sampled parties' updates alone,
 * with noise calibrated to the roster, which is what the accountant charges.
 */
final class DistributedSample {

  private DistributedSample() {}

  /** The non-sampled parties of {@code eligible} that pad {@code sampled} up to a maskable roster (none when it is). */
  static Set<String> padding(List<String> eligible, Set<String> sampled, Random random) {
    int missing = SecAggParams.MIN_ROSTER - sampled.size();
    if (missing <= 0) {
      return Set.of();
    }
    List<String> others = new ArrayList<>(eligible.stream().filter(n -> !sampled.contains(n)).toList());
    Collections.shuffle(others, random);
    return Collections.unmodifiableSet(new LinkedHashSet<>(others.subList(0, Math.min(missing, others.size()))));
  }
}
