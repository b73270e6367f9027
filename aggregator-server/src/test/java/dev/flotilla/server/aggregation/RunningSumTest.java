package dev.flotilla.server.aggregation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.flotilla.protocol.model.TensorSpec;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RunningSumTest {

  @Test
  @DisplayName("folds that cross stripe boundaries at odd offsets give the plain weighted mean, value by value, in every tensor")
  void foldsAcrossStripes() {
    int stripe = RunningSum.STRIPE_VALUES;
    // a tensor of 2.5 stripes (the last one short), one smaller than a stripe, one exactly a stripe
    List<TensorSpec> specs = List.of(new TensorSpec("big", new long[] {2 * stripe + stripe / 2}),
        new TensorSpec("small", new long[] {7}), new TensorSpec("one", new long[] {stripe}));
    RunningSum sum = new RunningSum(specs);
    double[] weights = {3, 5};
    float[][][] updates = new float[weights.length][specs.size()][];
    SplittableRandom random = new SplittableRandom(42);
    for (int u = 0; u < weights.length; u++) {
      for (int t = 0; t < specs.size(); t++) {
        float[] values = new float[specs.get(t).numElements()];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) random.nextDouble(-1, 1);
        }
        updates[u][t] = values;
        // odd pieces so that several folds start and end inside a stripe and one spans a boundary
        for (int at = 0; at < values.length; ) {
          int piece = Math.min(values.length - at, 40_009);
          sum.fold(t, at, values, at, piece, weights[u]);
          at += piece;
        }
      }
      sum.commit(weights[u]);
    }
    assertEquals(2, sum.committed());
    for (int t = 0; t < specs.size(); t++) {
      int n = specs.get(t).numElements();
      float[] mean = new float[n - 3];
      sum.takeMean(t, 3, mean, n - 3);
      for (int i = 0; i < mean.length; i++) {
        double expected = (weights[0] * updates[0][t][i + 3] + weights[1] * updates[1][t][i + 3]) / 8;
        assertEquals((float) expected, mean[i], "tensor " + specs.get(t).name() + " element " + (i + 3));
      }
    }
  }

  @Test
  @DisplayName("a strategy hands an ended attempt's sum to the next attempt of the same layout, and a new one otherwise")
  void theSumIsReused() {
    FedAvg fedavg = new FedAvg();
    List<TensorSpec> specs = List.of(new TensorSpec("w", new long[] {3}), new TensorSpec("b", new long[] {2}));
    RunningSum first = fedavg.takeSum(specs);
    assertNotSame(first, fedavg.takeSum(specs), "a sum still in use is not handed out twice");
    fedavg.giveBack(first);
    assertSame(first, fedavg.takeSum(specs));
    fedavg.giveBack(first);
    assertNotSame(first, fedavg.takeSum(List.of(new TensorSpec("w", new long[] {3}), new TensorSpec("b", new long[] {3}))));
  }

  @Test
  @DisplayName("after restart, a sum taken whole by takeMean or zeroed by restart(false) holds only what is folded next")
  void restartEmptiesTheSum() {
    int stripe = RunningSum.STRIPE_VALUES;
    List<TensorSpec> specs = List.of(new TensorSpec("big", new long[] {stripe + 5}), new TensorSpec("small", new long[] {3}));
    RunningSum sum = new RunningSum(specs);
    float[] ones = new float[stripe + 5];
    java.util.Arrays.fill(ones, 1f);
    float[] twos = new float[stripe + 5];
    java.util.Arrays.fill(twos, 2f);
    float[] mean = new float[stripe + 5];
    for (boolean takeAll : new boolean[] {true, false}) {
      sum.fold(0, 0, ones, 0, stripe + 5, 7);
      sum.fold(1, 0, ones, 0, 3, 7);
      sum.commit(7);
      // a finished attempt took every value; a failed one took some or none
      sum.takeMean(0, 0, mean, takeAll ? stripe + 5 : 10);
      if (takeAll) {
        sum.takeMean(1, 0, mean, 3);
      }
      sum.restart(takeAll);
      assertEquals(0, sum.committed());
      assertEquals(0.0, sum.totalWeight());
      sum.fold(0, 0, twos, 0, stripe + 5, 3);
      sum.fold(1, 0, twos, 0, 3, 3);
      sum.commit(3);
      sum.takeMean(0, 0, mean, stripe + 5);
      for (int i = 0; i < stripe + 5; i++) {
        assertEquals(2f, mean[i], "big element " + i + " after " + (takeAll ? "a finished" : "a failed") + " attempt");
      }
      sum.takeMean(1, 0, mean, 3);
      assertEquals(2f, mean[0]);
      assertEquals(2f, mean[2]);
      sum.restart(true);
    }
  }
}
