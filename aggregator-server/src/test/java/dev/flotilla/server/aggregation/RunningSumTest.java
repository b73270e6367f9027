package dev.flotilla.server.aggregation;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
      sum.mean(t, 3, mean, n - 3);
      for (int i = 0; i < mean.length; i++) {
        double expected = (weights[0] * updates[0][t][i + 3] + weights[1] * updates[1][t][i + 3]) / 8;
        assertEquals((float) expected, mean[i], "tensor " + specs.get(t).name() + " element " + (i + 3));
      }
    }
  }
}
