package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.TensorStreamDecoder;
import dev.flotilla.server.aggregate.WeightedSum;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpooledUpdateTest {

  private static final List<TensorSpec> SPECS = List.of(new TensorSpec("w", new long[] {3, 4}), new TensorSpec("b", new long[] {3}));

  @TempDir
  Path dir;

  private static float[][] tensors(float... values) {
    return new float[][] {java.util.Arrays.copyOfRange(values, 0, 12), java.util.Arrays.copyOfRange(values, 12, 15)};
  }

  @Test
  @DisplayName("the distance is summed over chunks as they arrive; the fold is weight * (base + scale * (update - base)); "
      + "the spool file is gone after close")
  void distanceAndScaledFold() throws Exception {
    float[][] base = tensors(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    float[][] update = tensors(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    update[0][0] += 3; // d = (3, 0, ..., 0, 4) -> ||d|| = 5
    update[1][2] += 4;
    SpooledUpdate spool = SpooledUpdate.create(dir, base);
    TensorStreamDecoder decoder = new TensorStreamDecoder(SPECS);
    var chunks = TensorChunks.dataChunks(update, 16); // 4 values per chunk: 4 chunks
    int n = 0;
    while (chunks.hasNext()) {
      ByteString c = chunks.next();
      decoder.check(c);
      spool.append(c, decoder);
      n++;
    }
    assertThat(n).isEqualTo(4);
    assertThat(spool.distance()).isEqualTo(5.0);

    WeightedSum sum = new WeightedSum(SPECS);
    spool.foldInto(sum, SPECS, 2.0, 0.2); // clipped to 1: base + d / 5
    sum.commit(2.0);
    float[][] folded = sum.average();
    for (int t = 0; t < base.length; t++) {
      for (int i = 0; i < base[t].length; i++) {
        double expected = base[t][i] + ((double) update[t][i] - base[t][i]) * 0.2;
        assertThat((double) folded[t][i]).isCloseTo(expected, within(1e-6));
      }
    }
    assertThat((double) folded[0][0]).isCloseTo(1.6, within(1e-6));
    assertThat((double) folded[1][2]).isCloseTo(15.8, within(1e-6));
    try (var files = Files.list(dir)) {
      assertThat(files).hasSize(1);
    }
    spool.close();
    try (var files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }
}
