package dev.flotilla.party.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.PythonProbe;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Arrays written by NumPy and by PyTorch's safetensors package, read back by the party's readers. */
@RequiresRealServers(RealServer.PYTORCH)
@DisplayName("Arrays written by NumPy and PyTorch")
class ArraysFromPythonIT {
  @TempDir static Path dir;

  /** x[i] = (4i + j) / 7 for j < 4, shape [5, 1, 2, 2]; y = [0, 3, 1, 2, 3]. */
  static final String SCRIPT = """
      import os, sys
      import numpy as np
      import torch
      from safetensors.torch import save_file
      d = sys.argv[1]
      x = (np.arange(20, dtype=np.float32) / 7).reshape(5, 1, 2, 2)
      y = np.array([0, 3, 1, 2, 3], dtype=np.int64)
      np.savez(os.path.join(d, 'plain.npz'), x=x, y=y, x_test=x[:2], y_test=y[:2])
      np.savez_compressed(os.path.join(d, 'compressed.npz'), x=x.astype('>f8'), y=y.astype(np.uint8))
      os.makedirs(os.path.join(d, 'arrays'))
      np.save(os.path.join(d, 'arrays', 'x.npy'), np.arange(20, dtype=np.uint8).reshape(5, 4))
      np.save(os.path.join(d, 'arrays', 'y.npy'), np.linspace(0, 1, 5).astype(np.float16))
      save_file({'x': torch.from_numpy(x), 'y': torch.from_numpy(y), 'x_test': torch.from_numpy(x[3:]),
                 'y_test': torch.from_numpy(y[3:])}, os.path.join(d, 'data.safetensors'))
      """;

  @BeforeAll
  static void write() throws IOException, InterruptedException {
    Process p = new ProcessBuilder(List.of(PythonProbe.PYTHON.toString(), "-c", SCRIPT, dir.toString()))
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
  }

  static void assertX(Samples samples, int offset) {
    assertThat(samples.sampleShape()).containsExactly(1, 2, 2);
    float[] row = new float[4];
    for (int i = 0; i < samples.size(); i++) {
      samples.copyFeatures(i, row, 0);
      for (int j = 0; j < 4; j++) {
        assertThat(row[j]).isEqualTo((4 * (i + offset) + j) / 7f);
      }
    }
  }

  @Test
  @DisplayName("np.savez with x, y, x_test and y_test: float32 features as saved, int64 labels as 4 classes, the test split")
  void npz() {
    LabelledArrays.Split split = NumpyArrays.read(dir.resolve("plain.npz"), DataOptions.defaults(), null);
    assertX(split.train(), 0);
    assertThat(split.train().task()).isEqualTo(Task.classification(4));
    assertThat(split.train().classOf(1)).isEqualTo(3);
    assertThat(split.test().size()).isEqualTo(2);
    assertX(split.test(), 0);
  }

  @Test
  @DisplayName("np.savez_compressed of big-endian float64 and uint8 labels")
  void compressed() {
    Samples samples = NumpyArrays.read(dir.resolve("compressed.npz"), DataOptions.defaults(), null).train();
    assertX(samples, 0);
    assertThat(samples.task()).isEqualTo(Task.classification(4));
  }

  @Test
  @DisplayName("a directory of np.save files: uint8 features as stored, float16 labels a regression unless --task says")
  void directory() {
    Samples samples = DataSets.load(dir.resolve("arrays"), null, DataOptions.defaults()).train();
    assertThat(samples.sampleShape()).containsExactly(4);
    float[] row = new float[4];
    samples.copyFeatures(4, row, 0);
    assertThat(row).containsExactly(16f, 17f, 18f, 19f);
    assertThat(samples.task()).isEqualTo(Task.regression());
    assertThat(samples.label(2)).isEqualTo(0.5f);
  }

  @Test
  @DisplayName("safetensors.torch.save_file with x, y, x_test, y_test")
  void safetensors() {
    DataSets.Loaded loaded = DataSets.load(dir.resolve("data.safetensors"), null, DataOptions.defaults());
    assertThat(loaded.format()).isEqualTo(DataFormat.SAFETENSORS);
    assertX(loaded.train(), 0);
    assertThat(loaded.train().task()).isEqualTo(Task.classification(4));
    assertThat(loaded.test().size()).isEqualTo(2);
    assertX(loaded.test(), 3);
    assertThat(loaded.test().classOf(0)).isEqualTo(2);
  }
}
