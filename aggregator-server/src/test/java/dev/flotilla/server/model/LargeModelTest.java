package dev.flotilla.server.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.SafetensorsHeader;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.state.Checkpoint;
import dev.flotilla.server.state.CheckpointStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model above 2 GiB with one tensor above 2^31 bytes, through the safetensors codec, the
 * checkpoint and the export. Runs in its own surefire execution ({@code large-model}, -Xmx4g):
 * about 3 GiB of heap at its peak and 8 GiB of temporary files.
 */
class LargeModelTest {

  private static final Logger log = LoggerFactory.getLogger(LargeModelTest.class);

  /** 2^28 + 16384 values: as F64 2,147,614,720 bytes, 128 KiB beyond 2^31. */
  private static final long[] HUGE = {16385, 16384};
  private static final int N = 16385 * 16384;
  /** The value index at byte 2^31 of the F64 tensor, and at 2^31 of the whole float32 model. */
  private static final int AT_2_GIB_OF_F64 = 1 << 28;

  private static final List<TensorSpec> LAYOUT = List.of(
      new TensorSpec("huge.weight", HUGE, DType.F64),
      new TensorSpec("huge.copy", HUGE, DType.F32),
      new TensorSpec("tail.bias", new long[] {3}, DType.BF16),
      new TensorSpec("bn.num_batches_tracked", new long[] {}, DType.I64));

  @TempDir
  Path dir;

  /** Distinct, exactly representable values, with marked ones around the 2 GiB boundaries. */
  private static float[] hugeValues() {
    float[] v = new float[N];
    for (int i = 0; i < N; i++) {
      v[i] = (i % 65521) - 32760;
    }
    v[0] = 0.5f;
    v[AT_2_GIB_OF_F64 - 1] = -1.25f;
    v[AT_2_GIB_OF_F64] = 3.75f;
    v[AT_2_GIB_OF_F64 + 1] = 1e-30f;
    v[N - 1] = -7.5e20f;
    return v;
  }

  private static void assertBoundaries(float[] actual, float[] expected, String what) {
    assertThat(actual).as(what).hasSize(N);
    for (int i : new int[] {0, 1, AT_2_GIB_OF_F64 - 2, AT_2_GIB_OF_F64 - 1, AT_2_GIB_OF_F64, AT_2_GIB_OF_F64 + 1,
        N / 2, N - 2, N - 1}) {
      assertThat(actual[i]).as("%s element %d", what, i).isEqualTo(expected[i]);
    }
    assertThat(java.util.Arrays.equals(actual, expected)).as("%s: every value", what).isTrue();
  }

  @Test
  @DisplayName("a 3 GiB model with a 2 GiB + 128 KiB F64 tensor is written, read, checkpointed and exported with "
      + "every value intact at the 2 GiB boundaries")
  void aboveTwoGiB() throws Exception {
    float[] huge = hugeValues();
    float[][] values = {huge, huge, {1f, -2f, 0.5f}, {12f}}; // one array twice: 1 GiB of heap for 2 GiB of float32
    Map<String, String> metadata = Map.of(Safetensors.MODEL_KEY, "huge");

    long start = System.nanoTime();
    Path file = dir.resolve("huge.safetensors");
    Safetensors.write(file, LAYOUT, values, metadata);
    SafetensorsHeader header = Safetensors.readLayout(file);
    assertThat(header.layout()).isEqualTo(LAYOUT);
    assertThat(LAYOUT.get(0).fileBytes()).isGreaterThan(1L << 31);
    assertThat(Files.size(file)).isEqualTo(header.dataStart() + 3L * N * 4 + 6 + 8);
    log.info("wrote {} bytes in {} s", Files.size(file), seconds(start));

    start = System.nanoTime();
    ModelFile read = Safetensors.read(file);
    log.info("read in {} s", seconds(start));
    assertThat(read.layout()).isEqualTo(LAYOUT);
    assertBoundaries(read.values()[0], huge, "F64 tensor read back");
    assertBoundaries(read.values()[1], huge, "F32 tensor read back");
    assertThat(read.values()[2]).containsExactly(1f, -2f, 0.5f);
    assertThat(read.values()[3]).containsExactly(12f);
    read = null;
    Files.delete(file);

    start = System.nanoTime();
    CheckpointStore store = new CheckpointStore(dir.resolve("state"));
    store.save(new Checkpoint("jobL", "huge", LAYOUT, "fedavg", 3, 1, 1, new HeapModel(1, LAYOUT, values), Map.of(), List.of(), List.of(),
        Map.of(), 0, 0));
    long checkpointBytes = Files.size(store.file());
    assertThat(checkpointBytes).isGreaterThan(2L << 30);
    log.info("checkpoint of {} bytes written in {} s", checkpointBytes, seconds(start));
    start = System.nanoTime();
    Checkpoint loaded = store.load().orElseThrow();
    log.info("checkpoint verified and read in {} s", seconds(start));
    assertThat(loaded.layout()).isEqualTo(LAYOUT);
    assertThat(loaded.global().version()).isEqualTo(1);
    assertBoundaries(TestModels.tensor(loaded.global(), 0), huge, "checkpoint tensor 0");
    assertBoundaries(TestModels.tensor(loaded.global(), 1), huge, "checkpoint tensor 1");
    assertThat(TestModels.tensor(loaded.global(), 3)).containsExactly(12f);
    ((FileModel) loaded.global()).close();
    loaded = null;
    Files.delete(store.file());

    start = System.nanoTime();
    Path exported = new ModelExport(dir.resolve("final.safetensors"), null, "jobL", "huge")
        .writeFinal(new HeapModel(1, LAYOUT, values), 1);
    log.info("exported in {} s", seconds(start));
    ModelFile back = Safetensors.read(exported);
    assertThat(back.metadata()).containsEntry("job", "jobL").containsEntry("model_version", "1")
        .containsEntry(Safetensors.MODEL_KEY, "huge");
    assertBoundaries(back.values()[0], huge, "exported F64 tensor");
    assertThat(ModelSource.file(exported).layout()).isEqualTo(LAYOUT);
  }

  private static String seconds(long startNanos) {
    return String.format("%.1f", (System.nanoTime() - startNanos) / 1e9);
  }
}
