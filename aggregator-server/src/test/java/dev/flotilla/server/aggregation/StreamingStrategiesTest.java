package dev.flotilla.server.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.model.HeapModel;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingStrategiesTest {

  @TempDir
  Path dir;

  /** A tensor larger than a finish block and a fold stripe (65 536 values), and a small one. */
  private final List<TensorSpec> specs = Plain.layout(70_001, 3);

  @Test
  @DisplayName("FedAvg's next model is the sample-weighted mean, across block and stripe boundaries of a 2-tensor layout")
  void fedAvgWeightedMean() throws Exception {
    Random random = new Random(1);
    float[][] a = Plain.gaussian(specs, random, 0, 1);
    float[][] b = Plain.gaussian(specs, random, 3, 1);
    float[][] next = Plain.aggregate(new FedAvg(), Plain.zeros(specs), dir, new double[] {1, 3}, a, b);
    for (int t = 0; t < specs.size(); t++) {
      for (int i = 0; i < a[t].length; i++) {
        assertThat(next[t][i]).isEqualTo((float) ((1.0 * a[t][i] + 3.0 * b[t][i]) / 4));
      }
    }
  }

  @Test
  @DisplayName("FedProx aggregates like FedAvg and carries its mu for the parties; the others send mu 0")
  void fedProx() throws Exception {
    Strategy prox = Strategies.byName("fedprox", StrategyOptions.defaults().withFedproxMu(0.05));
    assertThat(prox.proximalMu()).isEqualTo(0.05);
    List<TensorSpec> one = Plain.layout(1);
    float[][] next = Plain.aggregate(prox, Plain.model(one, new float[][] {{9}}), dir, new double[] {1, 1},
        new float[][] {{1}}, new float[][] {{3}});
    assertThat(next[0][0]).isEqualTo(2f);
    for (String name : List.of("fedavg", "fedadam", "fedyogi")) {
      assertThat(Strategies.byName(name, StrategyOptions.defaults()).proximalMu()).isZero();
    }
  }

  // lr 0.1, beta1 0.9, beta2 0.99, tau 1e-3; m0 = 0, v0 = tau^2 = 1e-6. Deltas +1 then -0.5.
  // step 1: m = 0.1, v = 0.99e-6 + 0.01 = 0.01000099 (Adam) | 1e-6 + 0.01 = 0.010001 (Yogi)
  //         g = 0.1 * 0.1 / (sqrt(v) + 0.001) = 0.0990050 (both, to 7 digits)
  // step 2: m = 0.09 - 0.05 = 0.04
  //         Adam v = 0.99 * 0.01000099 + 0.01 * 0.25 = 0.0124009801, g = g1 + 0.004 / (0.1113597 + 0.001) = 0.1346050
  //         Yogi v = 0.010001 + 0.01 * 0.25 (v < d^2) = 0.012501,   g = g1 + 0.004 / (0.1118079 + 0.001) = 0.1344635
  @Test
  @DisplayName("FedAdam takes the server Adam step on the mean's delta (numbers worked by hand)")
  void fedAdam() throws Exception {
    FedOpt adam = FedOpt.adam(0.1);
    List<TensorSpec> one = Plain.layout(1);
    float g1 = step(adam, one, 0f, 1f);
    assertThat((double) g1).isCloseTo(0.0990050, within(1e-6));
    float g2 = step(adam, one, g1, g1 - 0.5f);
    assertThat((double) g2).isCloseTo(0.1346050, within(1e-6));
    assertThat((double) adam.state().get("m")[0][0]).isCloseTo(0.04, within(1e-7));
    assertThat((double) adam.state().get("v")[0][0]).isCloseTo(0.0124009801, within(1e-8));
  }

  @Test
  @DisplayName("FedYogi's second moment grows additively when v < delta^2 (numbers worked by hand)")
  void fedYogi() throws Exception {
    FedOpt yogi = FedOpt.yogi(0.1);
    List<TensorSpec> one = Plain.layout(1);
    float g1 = step(yogi, one, 0f, 1f);
    assertThat((double) g1).isCloseTo(0.0990050, within(1e-6));
    float g2 = step(yogi, one, g1, g1 - 0.5f);
    assertThat((double) yogi.state().get("v")[0][0]).isCloseTo(0.012501, within(1e-8));
    assertThat((double) g2).isCloseTo(0.1344635, within(1e-6));
  }

  /** One round of a one-value model from {@code base} whose two parties both send {@code mean}. */
  private float step(Strategy s, List<TensorSpec> one, float base, float mean) throws Exception {
    return Plain.aggregate(s, Plain.model(one, new float[][] {{base}}), dir, new double[] {2, 5},
        new float[][] {{mean}}, new float[][] {{mean}})[0][0];
  }

  @Test
  @DisplayName("a restored FedAdam state continues exactly where the saved one was, on every value of a large tensor")
  void restoreState() throws Exception {
    Random random = new Random(2);
    HeapModel base = Plain.model(specs, Plain.gaussian(specs, random, 0, 1));
    FedOpt a = FedOpt.adam(0.1);
    float[][] g1 = Plain.aggregate(a, base, dir, new double[] {1}, Plain.gaussian(specs, random, 1, 1));
    FedOpt b = FedOpt.adam(0.1);
    b.restore(a.state());
    float[][] update = Plain.gaussian(specs, random, 2, 1);
    HeapModel second = Plain.model(specs, g1);
    assertThat(Plain.aggregate(b, second, dir, new double[] {1}, update))
        .isDeepEqualTo(Plain.aggregate(a, second, dir, new double[] {1}, update));
  }

  @Test
  @DisplayName("a restored state shaped for another model is refused when a round begins, naming the tensor")
  void restoreMismatch() {
    FedOpt adam = FedOpt.adam(0.1);
    adam.restore(Map.of("m", new float[][] {new float[5], new float[3]}, "v", new float[][] {new float[5], new float[3]}));
    assertThatThrownBy(() -> adam.begin(Plain.zeros(specs), dir)).hasMessageContaining("tensor t0 have 5 values");
  }

  @Test
  @DisplayName("an update discarded part-way or whole leaves no trace: the next model is within 1 float32 ulp of the one "
      + "without it (folded on arrival and subtracted again, or copied and never folded)")
  void discardLeavesNoTrace() throws Exception {
    Random random = new Random(3);
    HeapModel base = Plain.model(specs, Plain.gaussian(specs, random, 0, 1));
    float[][] a = Plain.gaussian(specs, random, 0.5, 1);
    float[][] b = Plain.gaussian(specs, random, -0.2, 0.3);
    float[][] broken = Plain.gaussian(specs, random, 4, 2);
    float[][] refused = Plain.gaussian(specs, random, -3, 5);
    for (String name : List.of("fedavg", "fedadam", "fedyogi")) {
      float[][] without = Plain.aggregate(Strategies.byName(name, StrategyOptions.defaults()), base, dir,
          new double[] {10, 30}, a, b);
      float[][] with;
      try (RoundAggregation round = Strategies.byName(name, StrategyOptions.defaults()).begin(base, dir)) {
        UpdateSink sa = round.open("a", 10);
        UpdateSink sBroken = round.open("broken", 1000);
        UpdateSink sRefused = round.open("refused", 7);
        Plain.send(sBroken, broken, 999, 1); // breaks off after its first tensor, folded between the others
        Plain.send(sa, a, 4096);
        Plain.sendChecked(sRefused, refused, 5000, specs.size()); // checked values: copied, folded at commit
        sBroken.discard();
        sRefused.discard();
        sa.commit();
        UpdateSink sb = round.open("b", 30);
        Plain.send(sb, b, 70_001);
        sb.commit();
        assertThat(round.committed()).isEqualTo(2);
        with = Plain.finish(round, specs);
      }
      for (int t = 0; t < specs.size(); t++) {
        for (int i = 0; i < without[t].length; i++) {
          assertThat(with[t][i]).as("%s tensor %d value %d", name, t, i)
              .isCloseTo(without[t][i], within(Math.ulp(without[t][i])));
        }
      }
    }
  }

  @Test
  @DisplayName("attempts of one strategy share its sum: after a finished attempt and a failed one (committed, never "
      + "finished) the next model is the weighted mean of that attempt's updates alone, value for value; a sink "
      + "cannot open on a closed attempt")
  void consecutiveAttemptsShareOneSum() throws Exception {
    FedAvg fedavg = new FedAvg();
    Random random = new Random(11);
    HeapModel base = Plain.zeros(specs);
    float[][] a = Plain.gaussian(specs, random, 0, 1);
    float[][] b = Plain.gaussian(specs, random, 3, 1);
    float[][] c = Plain.gaussian(specs, random, -5, 2);
    Plain.aggregate(fedavg, base, dir, new double[] {1, 3}, a, b);
    RoundAggregation failed = fedavg.begin(base, dir);
    UpdateSink sink = failed.open("p0", 5);
    Plain.send(sink, c, 777);
    sink.commit();
    Plain.send(failed.open("p1", 2), b, 1000, 1); // still open when the attempt closes
    failed.close();
    assertThatThrownBy(() -> failed.open("p2", 1)).hasMessageContaining("opened after its attempt was closed");
    for (int attempt = 0; attempt < 2; attempt++) {
      float[][] next = Plain.aggregate(fedavg, base, dir, new double[] {2, 5}, c, a);
      for (int t = 0; t < specs.size(); t++) {
        for (int i = 0; i < a[t].length; i++) {
          assertThat(next[t][i]).as("attempt %d tensor %d value %d", attempt, t, i)
              .isEqualTo((float) ((2.0 * c[t][i] + 5.0 * a[t][i]) / 7));
        }
      }
    }
  }

  @Test
  @DisplayName("spool files live in the spill directory only while their upload is open; close deletes those left open")
  void spoolFilesAreDeleted() throws Exception {
    // no spool memory: every full buffer goes to disk
    try (RoundAggregation round = new StreamingRound(new FedAvg(), Plain.zeros(specs), dir, 0)) {
      UpdateSink committed = round.open("a", 1);
      UpdateSink discarded = round.open("b", 1);
      UpdateSink leftOpen = round.open("c", 1);
      Plain.send(committed, Plain.gaussian(specs, new Random(4), 0, 1), 10_000);
      Plain.send(discarded, Plain.gaussian(specs, new Random(5), 0, 1), 10_000, 1);
      Plain.send(leftOpen, Plain.gaussian(specs, new Random(6), 0, 1), 10_000, 1);
      assertThat(filesIn(dir)).hasSize(3);
      long spooled = (70_004L + 70_001 + 70_001) * Float.BYTES;
      assertThat(Files.size(filesIn(dir).get(0)) + Files.size(filesIn(dir).get(1)) + Files.size(filesIn(dir).get(2)))
          .as("what arrived, but for each file's append buffer")
          .isBetween(spooled - 3L * Float32File.PENDING_VALUES * Float.BYTES, spooled);
      committed.commit();
      discarded.discard();
      assertThat(filesIn(dir)).hasSize(1);
    }
    assertThat(filesIn(dir)).isEmpty();
  }

  @Test
  @DisplayName("chunks out of layout order, an incomplete commit, use after the end and weight 0 are programming errors, named")
  void misuse() throws Exception {
    try (RoundAggregation round = new FedAvg().begin(Plain.zeros(specs), dir)) {
      UpdateSink sink = round.open("a", 1);
      assertThatThrownBy(() -> sink.accept(0, 5, FloatBuffer.wrap(new float[5]), 5))
          .hasMessageContaining("element 0 of tensor 0 was next in layout order");
      sink.accept(0, 0, FloatBuffer.wrap(new float[5]), 5);
      assertThatThrownBy(sink::commit).hasMessageContaining("committed after 5 of 70004 values");
      sink.discard();
      assertThatThrownBy(() -> sink.accept(0, 5, FloatBuffer.wrap(new float[5]), 5)).hasMessageContaining("already ended");
      assertThatThrownBy(() -> round.open("b", 0)).hasMessageContaining("weight 0.0");
      assertThatThrownBy(() -> Plain.finish(round, specs)).hasMessageContaining("no update was committed");
    }
  }

  @Test
  @DisplayName("eight parties folding concurrently give the same mean as one after another, to 1 float32 ulp")
  void concurrentFolds() throws Exception {
    Random random = new Random(7);
    float[][][] updates = new float[8][][];
    for (int p = 0; p < updates.length; p++) {
      updates[p] = Plain.gaussian(specs, random, p, 1);
    }
    double[] weights = {1, 2, 3, 4, 5, 6, 7, 8};
    float[][] sequential = Plain.aggregate(new FedAvg(), Plain.zeros(specs), dir, weights, updates);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (RoundAggregation round = new FedAvg().begin(Plain.zeros(specs), dir)) {
      List<Future<String>> done = new ArrayList<>();
      for (int p = 0; p < updates.length; p++) {
        UpdateSink sink = round.open("p" + p, weights[p]);
        float[][] u = updates[p];
        done.add(pool.submit(() -> {
          Plain.send(sink, u, 777);
          return sink.commit();
        }));
      }
      for (Future<String> f : done) {
        assertThat(f.get()).isEmpty();
      }
      float[][] concurrent = Plain.finish(round, specs);
      for (int t = 0; t < specs.size(); t++) {
        for (int i = 0; i < sequential[t].length; i++) {
          assertThat(concurrent[t][i]).isCloseTo(sequential[t][i], within(Math.ulp(sequential[t][i])));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("unknown strategy names and bad hyper-parameters are refused naming the flag")
  void badInput() {
    assertThatThrownBy(() -> Strategies.byName("fedfoo", StrategyOptions.defaults()))
        .hasMessageContaining("--strategy 'fedfoo' is not one of [fedavg, fedprox, fednova, scaffold, fedadam, fedyogi");
    assertThatThrownBy(() -> Strategies.byName("fedprox", StrategyOptions.defaults().withFedproxMu(-1)))
        .hasMessageContaining("--fedprox-mu must be a finite number >= 0, got -1.0");
    assertThatThrownBy(() -> Strategies.byName("fedadam", StrategyOptions.defaults().withServerLr(0)))
        .hasMessageContaining("--server-lr must be a finite number > 0, got 0.0");
  }

  static List<Path> filesIn(Path dir) throws java.io.IOException {
    try (var files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }
}
