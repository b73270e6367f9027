package dev.flotilla.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.TensorSpec;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {

  private static final List<TensorSpec> LAYOUT = List.of(
      new TensorSpec("conv.weight", new long[] {70, 1000}, DType.BF16),
      new TensorSpec("conv.bias", new long[] {3}),
      new TensorSpec("fc.weight", new long[] {20000, 3}, DType.F16));

  @TempDir
  Path dir;

  private static float[][] values(float base) {
    float[][] v = new float[LAYOUT.size()][];
    for (int t = 0; t < v.length; t++) {
      v[t] = new float[LAYOUT.get(t).numElements()];
      for (int i = 0; i < v[t].length; i++) {
        v[t][i] = base + t * 1000 + (i % 997) * 0.25f;
      }
    }
    return v;
  }

  /** Writes values in odd-sized blocks (never aligned with the writer's buffer), tensor by tensor. */
  private static FileModel publish(ModelStore store, float[][] values, long version) throws Exception {
    ModelStore.Writer writer = store.writer(LAYOUT);
    for (int t = 0; t < values.length; t++) {
      for (int done = 0; done < values[t].length; ) {
        int n = Math.min(12_345, values[t].length - done);
        writer.write(t, done, values[t], done, n);
        done += n;
      }
    }
    return writer.publish(version);
  }

  @Test
  @DisplayName("a version written block by block reads back value for value, from any offset and with any count")
  void roundTrip() throws Exception {
    ModelStore store = new ModelStore(dir.resolve("global"));
    float[][] expected = values(1);
    FileModel model = publish(store, expected, 3);
    assertThat(model.version()).isEqualTo(3);
    assertThat(model.specs()).isEqualTo(LAYOUT);
    assertThat(TestModels.values(model)).isDeepEqualTo(expected);
    float[] middle = new float[40_000];
    model.read(0, 17_000, middle, 0, 40_000);
    assertThat(middle).containsExactly(java.util.Arrays.copyOfRange(expected[0], 17_000, 57_000));
    float[] bias = new float[5];
    model.read(1, 1, bias, 2, 2);
    assertThat(bias).containsExactly(0, 0, expected[1][1], expected[1][2], 0);
    assertThatThrownBy(() -> model.read(1, 2, bias, 0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(Files.size(store.files().get(0))).isEqualTo((70_000 + 3 + 60_000) * 4L);
  }

  @Test
  @DisplayName("the store keeps the current version and the one before open; publishing a third closes and deletes the oldest")
  void keepsTwoVersions() throws Exception {
    ModelStore store = new ModelStore(dir.resolve("global"));
    FileModel v1 = publish(store, values(1), 1);
    FileModel v2 = publish(store, values(2), 2);
    assertThat(store.files()).hasSize(2);
    FileModel v3 = publish(store, values(3), 3);
    assertThat(store.files()).extracting(p -> p.getFileName().toString()).containsExactly("model-2.f32", "model-3.f32");
    assertThatThrownBy(() -> v1.read(0, 0, new float[1], 0, 1)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("cannot read version 1 of the global model");
    assertThat(TestModels.values(v2)).isDeepEqualTo(values(2));
    assertThat(TestModels.values(v3)).isDeepEqualTo(values(3));
    store.close();
    assertThat(store.files()).isEmpty();
  }

  @Test
  @DisplayName("values written out of layout order, or a version published incomplete, are refused and leave no file")
  void writerChecksOrder() throws Exception {
    ModelStore store = new ModelStore(dir.resolve("global"));
    ModelStore.Writer skipping = store.writer(LAYOUT);
    skipping.write(0, 0, new float[10], 0, 10);
    assertThatThrownBy(() -> skipping.write(0, 20, new float[10], 0, 10)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("values of tensor 0 from 20 written where tensor 0 continues at 10");
    skipping.abort();
    ModelStore.Writer incomplete = store.writer(LAYOUT);
    incomplete.write(0, 0, new float[70_000], 0, 70_000);
    assertThatThrownBy(() -> incomplete.publish(1)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("version 1 is incomplete: tensor conv.bias[3] has 0 of 3 values");
    assertThat(store.files()).isEmpty();
  }

  @Test
  @DisplayName("opening the store removes version files a previous process left behind")
  void startsEmpty() throws Exception {
    Path global = dir.resolve("global");
    Files.createDirectories(global);
    Files.write(global.resolve("model-7.f32"), new byte[12]);
    Files.write(global.resolve("next-123.f32"), new byte[12]);
    assertThat(new ModelStore(global).files()).isEmpty();
  }

  @Test
  @DisplayName("an initial safetensors file streams into the store, and a stored version exports as the same safetensors")
  void initialModelAndExport() throws Exception {
    float[][] expected = values(5);
    Path init = dir.resolve("init.safetensors");
    Safetensors.write(init, LAYOUT, expected, Map.of());
    float[][] stored = Safetensors.read(init).values(); // the values as the dtypes hold them
    ModelStore store = new ModelStore(dir.resolve("global"));
    ModelStore.Writer writer = store.writer(LAYOUT);
    ModelSource.file(init).writeInitial(writer);
    FileModel model = writer.publish(0);
    assertThat(TestModels.values(model)).isDeepEqualTo(stored);

    Path exported = new ModelExport(dir.resolve("final.safetensors"), null, "job1", "").writeFinal(model, 4);
    ModelFile back = Safetensors.read(exported);
    assertThat(back.layout()).isEqualTo(LAYOUT);
    assertThat(back.values()).isDeepEqualTo(stored);
    assertThat(back.metadata()).containsEntry("round", "4").containsEntry("model_version", "0");
  }
}
