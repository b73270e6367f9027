package dev.flotilla.server.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.model.HeapModel;
import dev.flotilla.protocol.privacy.GaussianNoise;
import dev.flotilla.server.privacy.PrivacyBudget;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("DpFedAvg: clipped, equally weighted updates over a fixed denominator, plus Gaussian noise")
class DpFedAvgTest {

  @TempDir
  Path dir;

  /** A tensor larger than a finish block (65 536 values) and a small one. */
  private final List<TensorSpec> specs = Plain.layout(70_001, 3);

  private static PrivacyBudget budget(double clip, double noiseMultiplier) {
    return new PrivacyBudget(10, 1e-5, clip, noiseMultiplier, 1.0);
  }

  @Test
  @DisplayName("the model differs from plain FedAvg's by noise of std z S / E: sample std within 3 %, mean near 0, "
      + "68.3 % within one std, and fresh noise every round")
  void noiseHasTheExpectedStd() throws Exception {
    Random random = new Random(7);
    HeapModel base = Plain.model(specs, Plain.gaussian(specs, random, 0, 1));
    // four updates well inside the clipping norm (distance ~0.01 * sqrt(70004) = 2.6 < 100): nothing is clipped
    float[][][] updates = new float[4][][];
    for (int p = 0; p < 4; p++) {
      updates[p] = Plain.gaussian(specs, random, 0, 0.01);
      for (int t = 0; t < specs.size(); t++) {
        for (int i = 0; i < updates[p][t].length; i++) {
          updates[p][t][i] += base.values()[t][i];
        }
      }
    }
    float[][] plain = Plain.aggregate(new FedAvg(), base, dir, Plain.ones(4), updates);
    DpFedAvg dp = new DpFedAvg(budget(100, 0.04), 4, GaussianNoise::fresh); // std 0.04 x 100 / 4 = 1
    double std = dp.noiseStd();
    assertThat(std).isEqualTo(1.0);

    // sample counts do not matter: every party weighs 1
    float[][] noised = Plain.aggregate(dp, base, dir, new double[] {1, 50, 1000, 3}, updates);
    float[][] again = Plain.aggregate(dp, base, dir, Plain.ones(4), updates);

    double n = 0;
    double sum = 0;
    double squares = 0;
    int withinOneStd = 0;
    int sameAsAgain = 0;
    for (int t = 0; t < specs.size(); t++) {
      for (int i = 0; i < plain[t].length; i++) {
        double r = (double) noised[t][i] - plain[t][i];
        n++;
        sum += r;
        squares += r * r;
        withinOneStd += Math.abs(r) <= std ? 1 : 0;
        sameAsAgain += noised[t][i] == again[t][i] ? 1 : 0;
      }
    }
    double mean = sum / n;
    double sampleStd = Math.sqrt(squares / n - mean * mean);
    assertThat(sampleStd).isCloseTo(std, within(0.03 * std)); // its own sd is std / sqrt(2n): 0.27 %
    assertThat(mean).isCloseTo(0, within(5 * std / Math.sqrt(n)));
    assertThat(withinOneStd / n).isCloseTo(0.6827, within(0.01)); // binomial sd 0.0018
    assertThat(sameAsAgain).isLessThan(100);
  }

  @Test
  @DisplayName("an update beyond the clipping norm counts as base + d S / ||d||, divided by the expected participants")
  void clipsAndDividesByTheExpectedParticipants() throws Exception {
    List<TensorSpec> small = Plain.layout(100);
    HeapModel base = Plain.zeros(small);
    float[][] far = new float[1][100];
    java.util.Arrays.fill(far[0], 1f); // distance 10 from base
    DpFedAvg dp = new DpFedAvg(budget(2, 0.01), 2, GaussianNoise::fresh); // noise std 0.01 x 2 / 2 = 0.01

    float[][] next = Plain.aggregate(dp, base, dir, new double[] {1000}, far);

    // clipped to norm 2: each value 0.2; one update over E = 2: 0.1
    for (float v : next[0]) {
      assertThat((double) v).isCloseTo(0.1, within(0.1)); // 10 std of noise
    }
    double mean = 0;
    for (float v : next[0]) {
      mean += v / 100.0;
    }
    assertThat(mean).isCloseTo(0.1, within(0.005)); // 5 std of the mean of 100 values
  }

  @Test
  @DisplayName("a round without any update still releases base + noise")
  void emptyRoundIsNoiseAroundTheBase() throws Exception {
    HeapModel base = Plain.model(specs, Plain.gaussian(specs, new Random(3), 5, 1));
    DpFedAvg dp = new DpFedAvg(budget(1, 1), 1, GaussianNoise::fresh);
    try (RoundAggregation round = dp.begin(base, dir)) {
      float[][] next = Plain.finish(round, specs);
      double squares = 0;
      for (int i = 0; i < next[0].length; i++) {
        double r = next[0][i] - base.values()[0][i];
        squares += r * r;
      }
      assertThat(Math.sqrt(squares / next[0].length)).isCloseTo(1.0, within(0.03));
    }
  }
}
