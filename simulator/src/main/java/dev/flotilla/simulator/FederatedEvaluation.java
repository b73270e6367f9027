package dev.flotilla.simulator;

import dev.flotilla.party.train.Evaluation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Federated evaluation on a sample ({@code --evaluate-fraction}): each round a share of the virtual
 * parties, drawn from the seed and the round, evaluate the round's global model on their local
 * held-out split; the round's figure is the mean of theirs weighted by held-out samples.
 *
 * @param round the round whose global model was evaluated
 * @param parties each sampled party's own figures, in party order
 * @param mean the sample-weighted mean over {@code parties}; null when they held out no sample
 */
record FederatedEvaluation(int round, List<PartyEvaluation> parties, Evaluation mean) {

  /** One sampled party's evaluation of the global model on its held-out split. */
  record PartyEvaluation(String party, Evaluation evaluation) {}

  FederatedEvaluation {
    parties = List.copyOf(parties);
  }

  static FederatedEvaluation of(int round, List<PartyEvaluation> parties) {
    return new FederatedEvaluation(round, parties,
        weightedMean(parties.stream().map(PartyEvaluation::evaluation).toList()));
  }

  /**
   * Which of {@code parties} evaluate in {@code round}: ceil(fraction x parties), at least one, drawn
   * from the seed and the round (a different draw from the aggregator's training sample).
   *
   * @return party indices, ascending; none when fraction is 0
   */
  static int[] sample(int parties, double fraction, long seed, int round) {
    if (fraction <= 0 || parties <= 0) {
      return new int[0];
    }
    int wanted = Math.min(parties, Math.max(1, (int) Math.ceil(fraction * parties)));
    List<Integer> order = new ArrayList<>(parties);
    for (int p = 0; p < parties; p++) {
      order.add(p);
    }
    Collections.shuffle(order, new Random(seed * 0xC2B2AE3D27D4EB4FL + round));
    return order.subList(0, wanted).stream().mapToInt(Integer::intValue).sorted().toArray();
  }

  /**
   * The evaluations' accuracy and loss averaged with their sample counts as weights (so each held-out
   * sample counts once), over their samples summed; null when they hold no sample.
   */
  static Evaluation weightedMean(List<Evaluation> evaluations) {
    long samples = 0;
    double accuracy = 0;
    double loss = 0;
    for (Evaluation e : evaluations) {
      samples += e.samples();
      accuracy += e.score() * e.samples();
      loss += e.loss() * e.samples();
    }
    if (samples == 0) {
      return null;
    }
    return Evaluation.classification(loss / samples, accuracy / samples, Math.toIntExact(samples));
  }
}
