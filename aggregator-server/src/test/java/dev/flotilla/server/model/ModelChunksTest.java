package dev.flotilla.server.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.ModelAssembler;
import dev.flotilla.protocol.v1.ModelChunk;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelChunksTest {

  private static final List<TensorSpec> LAYOUT = List.of(
      new TensorSpec("a", new long[] {100_000}),
      new TensorSpec("b", new long[] {7}, DType.BF16),
      new TensorSpec("c", new long[] {3, 20_001}));

  @TempDir
  Path dir;

  @Test
  @DisplayName("a model in a file is served as a header and chunks of at most 128 KiB that a party reassembles value for value")
  void servesAFileModel() throws Exception {
    float[][] values = new float[LAYOUT.size()][];
    for (int t = 0; t < values.length; t++) {
      values[t] = new float[LAYOUT.get(t).numElements()];
      for (int i = 0; i < values[t].length; i++) {
        values[t][i] = t * 1e6f + i;
      }
    }
    ModelStore store = new ModelStore(dir);
    ModelStore.Writer writer = store.writer(LAYOUT);
    for (int t = 0; t < values.length; t++) {
      writer.write(t, 0, values[t], 0, values[t].length);
    }
    FileModel model = writer.publish(5);

    List<ModelChunk> chunks = new ArrayList<>();
    ModelChunks.stream(model).forEachRemaining(chunks::add);
    assertThat(chunks.get(0).getHeader().getModelVersion()).isEqualTo(5);
    assertThat(chunks.get(0).getHeader().getTensorsCount()).isEqualTo(3);
    long values32 = 100_000 + 7 + 60_003;
    assertThat(chunks).hasSize(1 + (int) ((values32 * 4 + ModelChunks.CHUNK_BYTES - 1) / ModelChunks.CHUNK_BYTES));
    assertThat(chunks.subList(1, chunks.size()))
        .allSatisfy(c -> assertThat(c.getData().size()).isPositive().isLessThanOrEqualTo(ModelChunks.CHUNK_BYTES));

    ModelAssembler assembler = new ModelAssembler(LAYOUT);
    for (ModelChunk c : chunks) {
      assembler.accept(c);
    }
    assertThat(assembler.isComplete()).isTrue();
    assertThat(assembler.tensors()).isDeepEqualTo(values);
    store.close();
  }

  @Test
  @DisplayName("a model smaller than a chunk is served as its header and one chunk holding exactly its values, across tensors")
  void servesASmallModelInOneChunk() throws Exception {
    List<TensorSpec> layout = List.of(new TensorSpec("w", new long[] {4, 3}), new TensorSpec("b", new long[] {5}));
    float[][] values = {new float[12], new float[5]};
    for (int t = 0; t < values.length; t++) {
      for (int i = 0; i < values[t].length; i++) {
        values[t][i] = -t - i / 8f;
      }
    }
    ModelStore store = new ModelStore(dir);
    ModelStore.Writer writer = store.writer(layout);
    for (int t = 0; t < values.length; t++) {
      writer.write(t, 0, values[t], 0, values[t].length);
    }
    FileModel model = writer.publish(2);

    List<ModelChunk> chunks = new ArrayList<>();
    ModelChunks.stream(model).forEachRemaining(chunks::add);
    assertThat(chunks).hasSize(2);
    assertThat(chunks.get(1).getData().size()).isEqualTo(17 * Float.BYTES);
    ModelAssembler assembler = new ModelAssembler(layout);
    for (ModelChunk c : chunks) {
      assembler.accept(c);
    }
    assertThat(assembler.isComplete()).isTrue();
    assertThat(assembler.tensors()).isDeepEqualTo(values);
    store.close();
  }
  @Test
  @DisplayName("a model of at most the inline limit becomes TrainRequest values equal to its download; above the limit, none")
  void inlineValuesEqualTheDownload() throws Exception {
    List<TensorSpec> layout = List.of(new TensorSpec("w", new long[] {4, 3}), new TensorSpec("b", new long[] {5}));
    ModelStore store = new ModelStore(dir);
    ModelStore.Writer writer = store.writer(layout);
    writer.write(0, 0, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 0, 12);
    writer.write(1, 0, new float[] {-1, -2, -3, -4, Float.MIN_VALUE}, 0, 5);
    FileModel model = writer.publish(3);

    List<ModelChunk> chunks = new ArrayList<>();
    ModelChunks.stream(model).forEachRemaining(chunks::add);
    assertThat(ModelChunks.inlineValues(model, 17 * Float.BYTES)).isEqualTo(chunks.get(1).getData());
    assertThat(ModelAssembler.fromValues(layout, 3, ModelChunks.inlineValues(model, 1 << 20)).tensors())
        .isDeepEqualTo(new float[][] {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {-1, -2, -3, -4, Float.MIN_VALUE}});
    assertThat(ModelChunks.inlineValues(model, 17 * Float.BYTES - 1).isEmpty()).isTrue();
    assertThat(ModelChunks.inlineValues(model, 0).isEmpty()).isTrue();
    store.close();
  }
}
