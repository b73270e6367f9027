package dev.flotilla.server.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.model.HeapModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bytes lent for the call only (the bulk-upload port's reused frames): the streaming round copies what it keeps. */
class LentBytesTest {

  @TempDir
  Path dir;

  private final List<TensorSpec> specs = Plain.layout(5_000, 3);

  @Test
  @DisplayName("updates whose bytes are overwritten after each call give FedAvg exactly the next model of bytes the sink may keep")
  void lentBytesGiveTheSameModel() throws Exception {
    Random random = new Random(23);
    HeapModel base = Plain.model(specs, Plain.gaussian(specs, random, 0, 1));
    float[][] a = Plain.gaussian(specs, random, 0.5, 1);
    float[][] b = Plain.gaussian(specs, random, -0.2, 0.3);
    float[][] kept = Plain.aggregate(new FedAvg(), base, dir, new double[] {10, 30}, a, b);
    float[][] lent;
    try (RoundAggregation round = new FedAvg().begin(base, dir)) {
      UpdateSink sa = round.open("a", 10);
      Plain.sendLent(sa, a, 1000, specs.size());
      sa.commit();
      UpdateSink sb = round.open("b", 30);
      Plain.sendLent(sb, b, 1000, specs.size());
      sb.commit();
      lent = Plain.finish(round, specs);
    }
    for (int t = 0; t < specs.size(); t++) {
      assertThat(lent[t]).as("tensor %d", t).containsExactly(kept[t]);
    }
  }

  @Test
  @DisplayName("a lent upload discarded after its bytes were overwritten (some folded on arrival, the huge rest waiting "
      + "for the commit) leaves the next model within 1 float32 ulp of the one without it")
  void discardOfLentBytesLeavesNoTrace() throws Exception {
    Random random = new Random(29);
    HeapModel base = Plain.model(specs, Plain.gaussian(specs, random, 0, 1));
    float[][] a = Plain.gaussian(specs, random, 0.5, 1);
    float[][] b = Plain.gaussian(specs, random, -0.2, 0.3);
    float[][] turning = Plain.gaussian(specs, random, 1, 2);
    Arrays.fill(turning[1], 1.0e30f);
    float[][] without = Plain.aggregate(new FedAvg(), base, dir, new double[] {10, 30}, a, b);
    float[][] with;
    try (RoundAggregation round = new FedAvg().begin(base, dir)) {
      UpdateSink sa = round.open("a", 10);
      UpdateSink sTurning = round.open("turning", 50);
      Plain.sendLent(sTurning, turning, 1000, 2);
      Plain.sendLent(sa, a, 1000, specs.size());
      sa.commit();
      sTurning.discard();
      UpdateSink sb = round.open("b", 30);
      Plain.sendLent(sb, b, 1000, specs.size());
      sb.commit();
      with = Plain.finish(round, specs);
    }
    for (int t = 0; t < specs.size(); t++) {
      for (int i = 0; i < without[t].length; i++) {
        assertThat(with[t][i]).as("tensor %d value %d", t, i).isCloseTo(without[t][i], within(Math.ulp(without[t][i])));
      }
    }
  }

  @Test
  @DisplayName("a lent update with values beyond the fold-on-arrival limit, committed, gives exactly the model of the same update kept")
  void lentValuesFoldedAtCommit() throws Exception {
    Random random = new Random(31);
    HeapModel base = Plain.model(specs, Plain.gaussian(specs, random, 0, 1));
    float[][] a = Plain.gaussian(specs, random, 0.5, 1);
    float[][] large = Plain.gaussian(specs, random, 0, 1);
    Arrays.fill(large[0], 4_000, 4_700, 3.0e30f);
    float[][] kept = Plain.aggregate(new FedAvg(), base, dir, new double[] {1, 2}, a, large);
    float[][] lent;
    try (RoundAggregation round = new FedAvg().begin(base, dir)) {
      UpdateSink sa = round.open("a", 1);
      Plain.sendLent(sa, a, 1000, specs.size());
      sa.commit();
      UpdateSink sLarge = round.open("large", 2);
      Plain.sendLent(sLarge, large, 1000, specs.size());
      sLarge.commit();
      lent = Plain.finish(round, specs);
    }
    for (int t = 0; t < specs.size(); t++) {
      assertThat(lent[t]).as("tensor %d", t).containsExactly(kept[t]);
    }
  }
}
