package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.server.model.HeapModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class GlobalModelChunksTest {

  @Test
  @DisplayName("a global model streams as the same header and 1 MiB data chunks the codec makes from its arrays, "
      + "chunks crossing tensor borders")
  void sameStreamAsTheCodec() {
    List<TensorSpec> specs = List.of(new TensorSpec("a", new long[] {300_000}), new TensorSpec("b", new long[] {7}),
        new TensorSpec("c", new long[] {100_000}));
    float[][] values = new float[3][];
    for (int t = 0; t < 3; t++) {
      values[t] = new float[specs.get(t).numElements()];
      for (int i = 0; i < values[t].length; i++) {
        values[t][i] = t * 1_000_000 + i * 0.5f;
      }
    }
    List<ModelChunk> expected = new ArrayList<>();
    TensorChunks.modelStream(5, specs, values).forEachRemaining(expected::add);
    List<ModelChunk> actual = new ArrayList<>();
    new GlobalModelChunks(new HeapModel(5, specs, values)).forEachRemaining(actual::add);
    assertThat(expected).hasSize(3);
    assertThat(actual).isEqualTo(expected);
  }
}
