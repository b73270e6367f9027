package dev.flotilla.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.party.train.Evaluation;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FederatedEvaluationTest {

  @Test
  @DisplayName("the sample: ceil(F x N) distinct parties in range, at least one, all at F = 1, none at F = 0")
  void sampleSize() {
    int[] sample = FederatedEvaluation.sample(1000, 0.1, 42, 1);
    assertThat(sample).hasSize(100).doesNotHaveDuplicates().isSorted();
    assertThat(sample[0]).isGreaterThanOrEqualTo(0);
    assertThat(sample[99]).isLessThan(1000);
    assertThat(FederatedEvaluation.sample(10, 0.25, 42, 1)).hasSize(3);
    assertThat(FederatedEvaluation.sample(10, 0.001, 42, 1)).hasSize(1);
    assertThat(FederatedEvaluation.sample(4, 1, 42, 1)).containsExactly(0, 1, 2, 3);
    assertThat(FederatedEvaluation.sample(4, 0, 42, 1)).isEmpty();
  }

  @Test
  @DisplayName("the sample is drawn from the seed and the round: the same pair draws the same parties, other rounds "
      + "and other seeds others, and over many rounds every party is drawn")
  void sampleDraw() {
    assertThat(FederatedEvaluation.sample(100, 0.1, 7, 3)).containsExactly(FederatedEvaluation.sample(100, 0.1, 7, 3));
    assertThat(FederatedEvaluation.sample(100, 0.1, 7, 3)).isNotEqualTo(FederatedEvaluation.sample(100, 0.1, 7, 4));
    assertThat(FederatedEvaluation.sample(100, 0.1, 7, 3)).isNotEqualTo(FederatedEvaluation.sample(100, 0.1, 8, 3));
    Set<Integer> drawn = new HashSet<>();
    for (int round = 1; round <= 200; round++) {
      Arrays.stream(FederatedEvaluation.sample(20, 0.1, 7, round)).forEach(drawn::add);
    }
    assertThat(drawn).hasSize(20);
  }

  @Test
  @DisplayName("the mean weighs each party by its held-out samples: 100 at 0.9 and 300 at 0.5 give 0.6, not 0.7")
  void weightedMean() {
    Evaluation mean = FederatedEvaluation.weightedMean(List.of(Evaluation.classification(0.2, 0.9, 100),
        Evaluation.classification(1.0, 0.5, 300)));
    assertThat(mean.score()).isCloseTo(0.6, within(1e-12));
    assertThat(mean.loss()).isCloseTo(0.8, within(1e-12));
    assertThat(mean.samples()).isEqualTo(400);
    assertThat(FederatedEvaluation.weightedMean(List.of(Evaluation.classification(0.3, 0.7, 5))).score())
        .isEqualTo(0.7);
    assertThat(FederatedEvaluation.weightedMean(List.of())).isNull();
  }

  @Test
  @DisplayName("of(): keeps the per-party figures and their weighted mean")
  void ofRound() {
    var round = FederatedEvaluation.of(2, List.of(
        new FederatedEvaluation.PartyEvaluation("party-3", Evaluation.classification(0.5, 0.75, 40)),
        new FederatedEvaluation.PartyEvaluation("party-9", Evaluation.classification(0.1, 1.0, 10))));
    assertThat(round.round()).isEqualTo(2);
    assertThat(round.parties()).extracting(FederatedEvaluation.PartyEvaluation::party)
        .containsExactly("party-3", "party-9");
    assertThat(round.mean().score()).isCloseTo(0.8, within(1e-12));
    assertThat(round.mean().loss()).isCloseTo(0.42, within(1e-12));
  }
}
