package dev.flotilla.server.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
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
    for (int t = 0; t < specs.size(); t++) {
      for (int i = 0; i < without[t].length; i++) {
        assertThat(with[t][i]).as("tensor %d value %d", t, i).isCloseTo(without[t][i], within(Math.ulp(without[t][i])));
      }
    }
  }
}
