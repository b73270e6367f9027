package dev.flotilla.server.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.model.HeapModel;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Review of issue 13: what a hostile party with a valid certificate can leave behind in a streaming round. */
class HostileDiscardTest {

  @TempDir
  Path dir;

  private final List<TensorSpec> specs = Plain.layout(5_000, 3);

  @Test
  @DisplayName("an upload of huge finite values that breaks off (or is refused at its next chunk) leaves no trace in FedAvg's next model")
  void hugeValuesThenBreakOffLeaveNoTrace() throws Exception {
    Random random = new Random(13);
    HeapModel base = Plain.model(specs, Plain.gaussian(specs, random, 0, 1));
    float[][] a = Plain.gaussian(specs, random, 0.5, 1);
    float[][] b = Plain.gaussian(specs, random, -0.2, 0.3);
    float[][] hostile = new float[specs.size()][];
    for (int t = 0; t < specs.size(); t++) {
      hostile[t] = new float[specs.get(t).numElements()];
      Arrays.fill(hostile[t], 3.0e38f); // finite, so every chunk passes the server's checks
    }
    float[][] without = Plain.aggregate(new FedAvg(), base, dir, new double[] {10, 30}, a, b);
    float[][] with;
    try (RoundAggregation round = new FedAvg().begin(base, dir)) {
      UpdateSink sa = round.open("a", 10);
      Plain.send(sa, a, 1000);
      sa.commit();
      UpdateSink sHostile = round.open("hostile", 1);
      Plain.send(sHostile, hostile, 1000, 1); // then a NaN chunk (refused) or a reset stream: the upload is discarded
      sHostile.discard();
      UpdateSink sb = round.open("b", 30);
      Plain.send(sb, b, 1000);
      sb.commit();
      with = Plain.finish(round, specs);
    }
    assertWithinOneUlp(with, without);
  }

  @Test
  @DisplayName("an upload that turns huge part-way (its ordinary start already folded on arrival) and then breaks off "
      + "leaves FedAvg's next model within 1 float32 ulp of the one without it")
  void hugeAfterOrdinaryValuesLeavesNoTrace() throws Exception {
    Random random = new Random(17);
    HeapModel base = Plain.model(specs, Plain.gaussian(specs, random, 0, 1));
    float[][] a = Plain.gaussian(specs, random, 0.5, 1);
    float[][] b = Plain.gaussian(specs, random, -0.2, 0.3);
    float[][] turning = Plain.gaussian(specs, random, 1, 2);
    for (int i = 2_500; i < turning[0].length; i++) {
      turning[0][i] = i % 2 == 0 ? 3.0e38f : -3.0e38f;
    }
    Arrays.fill(turning[1], 1.0e30f);
    float[][] without = Plain.aggregate(new FedAvg(), base, dir, new double[] {10, 30}, a, b);
    float[][] with;
    try (RoundAggregation round = new FedAvg().begin(base, dir)) {
      UpdateSink sa = round.open("a", 10);
      UpdateSink sTurning = round.open("turning", 50);
      Plain.send(sTurning, turning, 1000, 2);
      Plain.send(sa, a, 1000);
      sa.commit();
      sTurning.discard();
      UpdateSink sb = round.open("b", 30);
      Plain.send(sb, b, 1000);
      sb.commit();
      with = Plain.finish(round, specs);
    }
    assertWithinOneUlp(with, without);
  }

  @Test
  @DisplayName("a NaN after blocks already folded refuses the update at that value, and its discard leaves the next model "
      + "within 1 float32 ulp of the one without it")
  void nanAfterFoldedBlocksLeavesNoTrace() throws Exception {
    Random random = new Random(19);
    HeapModel base = Plain.model(specs, Plain.gaussian(specs, random, 0, 1));
    float[][] a = Plain.gaussian(specs, random, 0.5, 1);
    float[][] poisoned = Plain.gaussian(specs, random, 5, 3);
    poisoned[0][1234] = Float.NaN; // after the first chunk of 1000, folded on arrival
    float[][] without = Plain.aggregate(new FedAvg(), base, dir, new double[] {10}, a);
    float[][] with;
    try (RoundAggregation round = new FedAvg().begin(base, dir)) {
      UpdateSink sa = round.open("a", 10);
      UpdateSink sPoisoned = round.open("poisoned", 1000);
      assertThatThrownBy(() -> Plain.send(sPoisoned, poisoned, 1000))
          .hasMessage("tensor 0 element 1234 is not finite");
      Plain.send(sa, a, 1000);
      sPoisoned.discard();
      sa.commit();
      with = Plain.finish(round, specs);
    }
    assertWithinOneUlp(with, without);
  }

  @Test
  @DisplayName("a committed update with values beyond the fold-on-arrival limit (folded at commit instead) gives exactly "
      + "the weighted mean, value for value")
  void largeValuesCommittedGiveTheExactMean() throws Exception {
    Random random = new Random(23);
    float[][] a = Plain.gaussian(specs, random, 0, 1);
    float[][] large = Plain.gaussian(specs, random, 0, 1);
    for (int i = 100; i < large[0].length; i += 3) {
      large[0][i] = 1.0e9f * (i % 7 - 3);
    }
    float[][] next = Plain.aggregate(new FedAvg(), Plain.zeros(specs), dir, new double[] {3, 5}, a, large);
    for (int t = 0; t < specs.size(); t++) {
      for (int i = 0; i < a[t].length; i++) {
        assertThat(next[t][i]).as("tensor %d value %d", t, i).isEqualTo((float) ((3.0 * a[t][i] + 5.0 * large[t][i]) / 8));
      }
    }
  }

  private void assertWithinOneUlp(float[][] with, float[][] without) {
    for (int t = 0; t < specs.size(); t++) {
      for (int i = 0; i < without[t].length; i++) {
        assertThat(with[t][i]).as("tensor %d value %d", t, i).isCloseTo(without[t][i], within(Math.ulp(without[t][i])));
      }
    }
  }
}
