package dev.flotilla.protocol.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.privacy.GaussianNoise;
import dev.flotilla.protocol.v1.SecAggDistributedNoise;
import dev.flotilla.protocol.v1.SecAggKeyRoster;
import dev.flotilla.protocol.v1.SecAggUnmaskRequest;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DistributedNoiseTest {

  private static final int VALUES = 60_000;
  private static final double Z = 1.5;
  private static final double CLIP = 2.0;

  /** What a masked round with distributed noise gave: the decoded noised sum and the survivors' clipped sum. */
  private record Outcome(float[] noisedSum, double[] clippedSum, int survivors) {}

  /**
   * A whole SecAgg+ round (in process) in which each party sends DistributedNoise.encode of its update, with
   * {@code shareScale} times the share std the noise parameters say (1 for honest parties).
   */
  private static Outcome run(int n, Set<Integer> dropAfterSharing, SecAggDistributedNoise noise, double shareScale,
      long seed) {
    SecAggParams params = SecAggSimulation.params(n, seed);
    double weight = 1.0 / n;
    FixedPoint fixedPoint = new FixedPoint(params.clipRange());
    SecAggDistributedNoise sent = noise.toBuilder().setShareStd(noise.getShareStd() * shareScale).build();
    SecAggAggregator aggregator = new SecAggAggregator(params, VALUES);
    SecAggParty[] parties = new SecAggParty[n];
    for (int p = 0; p < n; p++) {
      parties[p] = new SecAggParty(params, p, SecAggSimulation.seeded(seed * 1000 + p));
      parties[p].requireSurvivors(noise.getMinSurvivors());
      aggregator.acceptKeys(p, parties[p].advertiseKeys());
    }
    aggregator.closeKeys();
    for (int p = 0; p < n; p++) {
      aggregator.acceptShares(p, parties[p].shareKeys(aggregator.rosterFor(p)));
    }
    aggregator.closeShares();
    Random random = new Random(seed);
    float[] base = new float[VALUES];
    for (int v = 0; v < VALUES; v++) {
      base[v] = (float) random.nextGaussian();
    }
    double[] clippedSum = new double[VALUES];
    for (int p = 0; p < n; p++) {
      // half the parties move far beyond the clip norm, half well within it
      double length = p % 2 == 0 ? 10 * CLIP : CLIP / 4;
      float[] trained = new float[VALUES];
      double[] delta = new double[VALUES];
      double squares = 0;
      for (int v = 0; v < VALUES; v++) {
        delta[v] = random.nextGaussian();
        squares += delta[v] * delta[v];
      }
      double scale = length / Math.sqrt(squares);
      for (int v = 0; v < VALUES; v++) {
        trained[v] = (float) (base[v] + delta[v] * scale);
      }
      if (dropAfterSharing.contains(p)) {
        continue;
      }
      double kept = Math.min(1, CLIP / length);
      for (int v = 0; v < VALUES; v++) {
        clippedSum[v] += ((double) trained[v] - base[v]) * kept;
      }
      int[] encoded = DistributedNoise.encode(trained, base, sent, fixedPoint, weight,
          new GaussianNoise(SecAggSimulation.seeded(seed * 7919 + p)));
      parties[p].maskInput(aggregator.sharesFor(p), encoded);
      for (byte[] chunk : SecAggSimulation.chunks(encoded)) {
        aggregator.foldMasked(p, chunk);
      }
    }
    SecAggUnmaskRequest request = SecAggSimulation.consistencyCheck(aggregator, parties, aggregator.closeInputs());
    for (int p : request.getSurvivorsList()) {
      aggregator.acceptUnmask(p, parties[p].unmask(request));
    }
    return new Outcome(fixedPoint.decodeSum(aggregator.unmaskedSum(), weight), clippedSum,
        aggregator.survivors().size());
  }

  /** The sample variance of the noise (noised sum minus the clipped sum) over the expected variance. */
  private static double varianceRatio(Outcome outcome, double expectedStd) {
    double squares = 0;
    for (int v = 0; v < VALUES; v++) {
      double noise = outcome.noisedSum()[v] - outcome.clippedSum()[v];
      squares += noise * noise;
    }
    return squares / VALUES / (expectedStd * expectedStd);
  }

  @Test
  @DisplayName("the unmasked sum of 12 parties (2 dropped after sharing keys) is the sum of their clipped differences "
      + "plus Gaussian noise of std z S sqrt(survivors / min survivors): its variance over 60 000 values is within 3 % "
      + "of that (a missing, halved or doubled noise is far outside)")
  void recoveredSumCarriesTheCalibratedNoise() {
    int n = 12;
    int minSurvivors = DistributedNoise.minSurvivors(n, 0.2);
    SecAggDistributedNoise noise = DistributedNoise.of(Z, CLIP, minSurvivors);
    // the variance ratio of 60 000 normal values has std sqrt(2 / 60 000) = 0.6 %: the 3 % bound is 5 of them
    Outcome honest = run(n, Set.of(3, 8), noise, 1, 11);
    double present = DistributedNoise.presentMultiplier(noise, honest.survivors());

    assertThat(minSurvivors).isEqualTo(10);
    assertThat(honest.survivors()).isEqualTo(10);
    assertThat(present).isEqualTo(Z * Math.sqrt(10.0 / 10.0), org.assertj.core.data.Offset.offset(1e-12));
    assertThat(varianceRatio(honest, present * CLIP)).isBetween(0.97, 1.03);
    // the same bound rejects the noise a broken party would add: none, half the std, twice the std
    assertThat(varianceRatio(run(n, Set.of(3, 8), noise, 0, 11), present * CLIP)).isLessThan(0.001);
    assertThat(varianceRatio(run(n, Set.of(3, 8), noise, 0.5, 11), present * CLIP)).isBetween(0.24, 0.26);
    assertThat(varianceRatio(run(n, Set.of(3, 8), noise, 2, 11), present * CLIP)).isBetween(3.9, 4.1);
  }

  @Test
  @DisplayName("with every party surviving, the sum carries more noise than the target, z S sqrt(n / m), and that is "
      + "the multiplier the accountant is told")
  void moreSurvivorsMoreNoise() {
    int n = 12;
    SecAggDistributedNoise noise = DistributedNoise.of(Z, CLIP, DistributedNoise.minSurvivors(n, 0.2));
    Outcome all = run(n, Set.of(), noise, 1, 12);
    double present = DistributedNoise.presentMultiplier(noise, all.survivors());

    assertThat(present).isCloseTo(Z * Math.sqrt(12.0 / 10.0), org.assertj.core.data.Offset.offset(1e-12));
    assertThat(varianceRatio(all, present * CLIP)).isBetween(0.97, 1.03);
    assertThat(varianceRatio(all, Z * CLIP)).as("the target alone understates it").isGreaterThan(1.15);
  }

  @Test
  @DisplayName("a party signs no survivor list shorter than the survivors its noise share was sized for, so a sum "
      + "with less than the calibrated noise is never unmasked")
  void tooFewSurvivorsAreNotSigned() {
    SecAggDistributedNoise noise = DistributedNoise.of(Z, CLIP, 10);

    assertThatThrownBy(() -> run(12, Set.of(1, 4, 9), noise, 1, 13))
        .isInstanceOf(SecAggException.class)
        .hasMessage("only 9 survivors; the distributed noise shares were sized for at least 10, so fewer would unmask a "
            + "sum with less than the calibrated noise; this party signs no such list");
  }

  @Test
  @DisplayName("the survivors the shares are sized for: all but the dropout tolerance of the roster, never fewer than "
      + "SecAgg+'s threshold; a share is z S / sqrt(m)")
  void minSurvivors() {
    assertThat(DistributedNoise.minSurvivors(100, 0.1)).isEqualTo(90);
    assertThat(DistributedNoise.minSurvivors(10, 0)).isEqualTo(10);
    assertThat(DistributedNoise.minSurvivors(3, 0.1)).isEqualTo(3);
    assertThat(DistributedNoise.minSurvivors(20, 0.9)).isEqualTo(6)
        .isEqualTo(SecAggParams.withDefaults(new byte[32], 20, 1).threshold());
    assertThat(DistributedNoise.of(2, 3, 9).getShareStd()).isEqualTo(2.0);
  }

  @Test
  @DisplayName("settings whose noised sum could overflow the fixed-point range are refused with the clip range they "
      + "need; hostile noise parameters are refused by the party")
  void refusals() {
    assertThat(DistributedNoise.rangeRefusal(1, 1, 0.1, 100)).isNull();
    assertThat(DistributedNoise.rangeRefusal(100, 1, 0.1, 100)).startsWith("the noised sum of clipped updates reaches")
        .contains("give --secagg-clip-range");
    assertThatThrownBy(() -> DistributedNoise.check(noise(1, Double.NaN, 5), 10))
        .hasMessageContaining("share std NaN");
    assertThatThrownBy(() -> DistributedNoise.check(noise(0, 1, 5), 10)).hasMessageContaining("clip norm 0.0");
    assertThatThrownBy(() -> DistributedNoise.check(noise(1, 1, 11), 10))
        .hasMessage("the distributed noise needs 11 survivors of a roster of 10");
  }

  @Test
  @DisplayName("a noise-only party's input is its noise share alone: the same values whether it trained or sends the "
      + "global model untouched (so it need not train), and a sampled party's differ")
  void noiseOnlyInputIgnoresTraining() {
    FixedPoint fixedPoint = new FixedPoint(100);
    Random random = new Random(11);
    float[] base = new float[1000];
    float[] trained = new float[1000];
    for (int v = 0; v < base.length; v++) {
      base[v] = (float) random.nextGaussian();
      trained[v] = base[v] + (float) (0.01 * random.nextGaussian());
    }
    SecAggDistributedNoise padding = noise(CLIP, 0.5, 2).toBuilder().setNoiseOnly(true).build();

    int[] afterTraining = DistributedNoise.encode(trained, base, padding, fixedPoint, 1.0 / 3,
        new GaussianNoise(SecAggSimulation.seeded(5)));
    int[] untrained = DistributedNoise.encode(base.clone(), base, padding, fixedPoint, 1.0 / 3,
        new GaussianNoise(SecAggSimulation.seeded(5)));
    int[] sampled = DistributedNoise.encode(trained, base, noise(CLIP, 0.5, 2), fixedPoint, 1.0 / 3,
        new GaussianNoise(SecAggSimulation.seeded(5)));

    assertThat(untrained).containsExactly(afterTraining);
    assertThat(sampled).isNotEqualTo(afterTraining);
  }

  private static SecAggDistributedNoise noise(double clip, double std, int minSurvivors) {
    return SecAggDistributedNoise.newBuilder().setClipNorm(clip).setShareStd(std).setMinSurvivors(minSurvivors).build();
  }
}
