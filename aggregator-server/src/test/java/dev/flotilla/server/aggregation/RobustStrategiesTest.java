package dev.flotilla.server.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.admission.NormBound;
import dev.flotilla.server.model.HeapModel;
import io.grpc.Status;
import io.grpc.StatusException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RobustStrategiesTest {

  @TempDir
  Path dir;

  /** A tensor larger than a read block (65 536 values), and a small one. */
  private final List<TensorSpec> specs = Plain.layout(70_001, 3);
  private final List<TensorSpec> scalar = Plain.layout(1);

  private static StrategyOptions options() {
    return StrategyOptions.defaults();
  }

  @Nested
  @DisplayName("with 2 of 10 parties poisoned")
  class Poisoned {

    /** 8 honest updates near an all-ones model, then 2 poisoned ones made by {@code poison} from honest ones. */
    private float[][][] updates(java.util.function.DoubleUnaryOperator poison) {
      Random random = new Random(11);
      float[][][] u = new float[10][][];
      for (int p = 0; p < 10; p++) {
        u[p] = Plain.gaussian(specs, random, 1, 0.1);
        if (p >= 8) {
          for (float[] t : u[p]) {
            for (int i = 0; i < t.length; i++) {
              t[i] = (float) poison.applyAsDouble(t[i]);
            }
          }
        }
      }
      return u;
    }

    /** RMS distance of a model from the all-ones model the honest parties are near. */
    private double distanceFromHonest(float[][] model) {
      double sum = 0;
      long n = 0;
      for (float[] t : model) {
        for (float v : t) {
          sum += (v - 1.0) * (v - 1.0);
          n++;
        }
      }
      return Math.sqrt(sum / n);
    }

    @Test
    @DisplayName("scaled by -10: FedAvg ends far from the honest model; median, trimmed mean 0.2, Krum and multi-Krum stay near it")
    void scaled() throws Exception {
      check(updates(v -> -10 * v));
    }

    @Test
    @DisplayName("sign-flipped: FedAvg moves away from the honest model; the robust strategies stay near it")
    void signFlipped() throws Exception {
      check(updates(v -> -v));
    }

    private void check(float[][][] updates) throws Exception {
      HeapModel base = Plain.zeros(specs);
      double[] weights = Plain.ones(10);
      assertThat(distanceFromHonest(Plain.aggregate(new FedAvg(), base, dir, weights, updates))).isGreaterThan(0.35);
      StrategyOptions o = options().withTrimFraction(0.2).withByzantineParties(2);
      for (String name : List.of("median", "trimmed-mean", "krum", "multi-krum")) {
        double d = distanceFromHonest(Plain.aggregate(Strategies.byName(name, o), base, dir, weights, updates));
        // honest noise is 0.1 per value: one honest update is 0.1 away, a mean of 8 about 0.035
        assertThat(d).as(name).isLessThan(0.12);
      }
      assertThat(StreamingStrategiesTest.filesIn(dir)).isEmpty();
    }
  }

  @Test
  @DisplayName("median: the middle value, the mean of the two middle ones for an even count, ties kept, weights ignored")
  void median() throws Exception {
    Median median = new Median();
    assertThat(one(median, new double[] {1, 1, 1}, 3, 1, 2)).isEqualTo(2f);
    assertThat(one(median, Plain.ones(4), 4, 1, 3, 2)).isEqualTo(2.5f);
    assertThat(one(median, Plain.ones(3), 5, 5, 1)).isEqualTo(5f);
    assertThat(one(median, new double[] {1, 1, 1000}, 1, 2, 100)).isEqualTo(2f);
    assertThat(one(median, new double[] {7}, -4)).isEqualTo(-4f);
  }

  @Test
  @DisplayName("trimmed mean: floor(fraction x n) values dropped at each end, the rest averaged unweighted")
  void trimmedMean() throws Exception {
    assertThat(one(new TrimmedMean(0.2), new double[] {1, 1, 1, 1, 50}, 1, 2, 3, 4, 100)).isEqualTo(3f);
    assertThat(one(new TrimmedMean(0.2), Plain.ones(4), 1, 2, 3, 100)).isEqualTo(26.5f); // floor(0.8) = 0
    assertThat(one(new TrimmedMean(0.4), Plain.ones(5), -100, 2, 3, 4, 100)).isEqualTo(3f);
    assertThat(one(new TrimmedMean(0), Plain.ones(2), 1, 2)).isEqualTo(1.5f);
    assertThatThrownBy(() -> new TrimmedMean(0.5)).hasMessage("--trim-fraction must be in [0, 0.5), got 0.5");
    assertThatThrownBy(() -> new TrimmedMean(-0.1)).hasMessage("--trim-fraction must be in [0, 0.5), got -0.1");
  }

  // values 0, 1, 2, 3, 100 (parties p0..p4), f = 1: each score sums the n - f - 2 = 2 smallest squared distances:
  // p0: 1 + 4 = 5, p1: 1 + 1 = 2, p2: 1 + 1 = 2, p3: 1 + 4 = 5, p4: 97^2 + 98^2
  @Test
  @DisplayName("Krum picks the lowest score (ties to the party named first); multi-Krum averages the m lowest or n - f")
  void krum() throws Exception {
    double[] w = Plain.ones(5);
    assertThat(one(Krum.krum(1), w, 0, 1, 2, 3, 100)).isEqualTo(1f);
    assertThat(one(Krum.multiKrum(1, 3), w, 0, 1, 2, 3, 100)).isEqualTo(1f); // p1, p2, then p0 before p3
    assertThat(one(Krum.multiKrum(1, 0), w, 0, 1, 2, 3, 100)).isEqualTo(1.5f); // n - f = 4: all but p4
    assertThat(Krum.scores(new double[][] {{0, 1, 4, 9, 10000}, {1, 0, 1, 4, 9801}, {4, 1, 0, 1, 9604},
        {9, 4, 1, 0, 9409}, {10000, 9801, 9604, 9409, 0}}, 1)).containsExactly(5, 2, 2, 5, 9409 + 9604);
  }

  @Test
  @DisplayName("Krum's squared distances summed block by block over two tensors equal the distances over whole updates")
  void krumDistances() throws Exception {
    Random random = new Random(12);
    float[][][] u = {Plain.gaussian(specs, random, 0, 1), Plain.gaussian(specs, random, 0.5, 1),
        Plain.gaussian(specs, random, -1, 2)};
    try (RoundAggregation round = new Median().begin(Plain.zeros(specs), dir)) {
      for (int p = 0; p < u.length; p++) {
        UpdateSink sink = round.open("p" + p, 1);
        Plain.send(sink, u[p], 30_000);
        sink.commit();
      }
      SpilledRound spilled = (SpilledRound) round;
      double[][] d = Krum.distances(spilled.updates());
      for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 3; b++) {
          double expected = 0;
          for (int t = 0; t < specs.size(); t++) {
            for (int i = 0; i < u[a][t].length; i++) {
              double diff = (double) u[a][t][i] - u[b][t][i];
              expected += diff * diff;
            }
          }
          assertThat(d[a][b]).isCloseTo(expected, within(1e-9 * Math.max(1, expected)));
        }
      }
    }
  }

  @Test
  @DisplayName("Krum with n <= 2f + 2 updates refuses to combine, naming n and f")
  void krumTooFew() {
    assertThatThrownBy(() -> one(Krum.krum(1), Plain.ones(4), 1, 2, 3, 4))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("krum with --byzantine-parties 1 needs at least 5 updates, the round has 4");
    assertThatThrownBy(() -> one(Krum.multiKrum(1, 5), Plain.ones(5), 1, 2, 3, 4, 5))
        .hasMessage("multi-krum with --byzantine-parties 1 and --krum-select 5 needs at least 6 updates, the round has 5");
    assertThatThrownBy(() -> Krum.krum(-1)).hasMessage("--byzantine-parties must be >= 0, got -1");
  }

  @Test
  @DisplayName("spill files: one per update while it streams, a discard deletes its file and leaves no trace, close deletes the rest")
  void spillFiles() throws Exception {
    Random random = new Random(13);
    float[][][] honest = {Plain.gaussian(specs, random, 1, 0.1), Plain.gaussian(specs, random, 1, 0.1),
        Plain.gaussian(specs, random, 1, 0.1)};
    float[][] without = Plain.aggregate(new Median(), Plain.zeros(specs), dir, Plain.ones(3), honest);
    try (RoundAggregation round = new Median().begin(Plain.zeros(specs), dir)) {
      UpdateSink broken = round.open("broken", 1);
      UpdateSink refused = round.open("refused", 1);
      Plain.send(broken, Plain.gaussian(specs, random, -50, 1), 10_000, 1);
      Plain.send(refused, Plain.gaussian(specs, random, 50, 1), 10_000);
      for (int p = 0; p < 3; p++) {
        UpdateSink sink = round.open("p" + p, 1);
        Plain.send(sink, honest[p], 10_000);
        sink.commit();
      }
      assertThat(StreamingStrategiesTest.filesIn(dir)).hasSize(5);
      broken.discard();
      refused.discard();
      assertThat(StreamingStrategiesTest.filesIn(dir)).hasSize(3);
      assertThat(round.committed()).isEqualTo(3);
      assertThat(Plain.finish(round, specs)).isDeepEqualTo(without);
      assertThat(StreamingStrategiesTest.filesIn(dir)).hasSize(3);
    }
    assertThat(StreamingStrategiesTest.filesIn(dir)).isEmpty();
  }

  @Test
  @DisplayName("the read block shrinks as parties grow, so read buffers stay within 64 MiB up to 16 384 parties")
  void bufferBudget() {
    for (int n : new int[] {1, 10, 256, 1000, 16_384}) {
      assertThat((long) SpilledUpdates.blockValues(n) * n * Float.BYTES).isLessThanOrEqualTo(64L << 20);
    }
    assertThat(SpilledUpdates.blockValues(10)).isEqualTo(1 << 16);
  }

  @Nested
  @DisplayName("norm-bounded")
  class Bounded {

    private final HeapModel base = Plain.model(Plain.layout(2, 1), new float[][] {{1, 1}, {1}});
    private final float[][] far = {{4, 5}, {1}}; // d = (3, 4, 0), ||d|| = 5

    @Test
    @DisplayName("refuse: an update beyond the bound is refused with INVALID_ARGUMENT and today's message, leaving no file and no trace")
    void refuse() throws Exception {
      Strategy s = new NormBounded(new FedAvg(), new NormBound(1.0, NormBound.Action.REFUSE));
      try (RoundAggregation round = s.begin(base, dir)) {
        UpdateSink sink = round.open("mallory", 1);
        Plain.send(sink, far, 1);
        assertThatThrownBy(sink::commit).isInstanceOfSatisfying(StatusException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).isEqualTo(
              "update of party 'mallory' is at L2 distance 5.00000 from the global model, beyond --max-update-norm 1.0");
        });
        assertThat(StreamingStrategiesTest.filesIn(dir)).isEmpty();
        assertThat(round.committed()).isZero();
        UpdateSink near = round.open("alice", 1);
        Plain.send(near, new float[][] {{1.5f, 1}, {1}}, 2);
        assertThat(near.commit()).isEmpty();
        assertThat(Plain.finish(round, base.specs())).isDeepEqualTo(new float[][] {{1.5f, 1}, {1}});
      }
    }

    @Test
    @DisplayName("clip: an update beyond the bound reaches the inner strategy as base + d * bound / ||d||, with a note")
    void clip() throws Exception {
      Strategy s = new NormBounded(new FedAvg(), new NormBound(1.0, NormBound.Action.CLIP));
      try (RoundAggregation round = s.begin(base, dir)) {
        UpdateSink sink = round.open("mallory", 3);
        Plain.send(sink, far, 1);
        assertThat(sink.commit()).isEqualTo("clipped from L2 distance 5.00000 to 1.0");
        assertThat(Plain.finish(round, base.specs())).isDeepEqualTo(new float[][] {{1.6f, 1.8f}, {1}});
      }
      assertThat(StreamingStrategiesTest.filesIn(dir)).isEmpty();
    }

    @Test
    @DisplayName("wraps a robust strategy too: norm-bounded median clips before taking the median; the name stays the inner one")
    void aroundMedian() throws Exception {
      Strategy s = Strategies.byName("median", options().withNormBound(new NormBound(1.0, NormBound.Action.CLIP)));
      assertThat(s).isInstanceOf(NormBounded.class);
      assertThat(s.name()).isEqualTo("median");
      float[][] next = Plain.aggregate(s, base, dir, Plain.ones(3), far, far, new float[][] {{1, 1}, {1}});
      assertThat(next).isDeepEqualTo(new float[][] {{1.6f, 1.8f}, {1}});
    }
  }

  /** One round of a one-value model (base 0) with one update per value. */
  private float one(Strategy s, double[] weights, float... values) throws Exception {
    float[][][] updates = new float[values.length][][];
    for (int p = 0; p < values.length; p++) {
      updates[p] = new float[][] {{values[p]}};
    }
    return Plain.aggregate(s, Plain.zeros(scalar), dir, weights, updates)[0][0];
  }
}
