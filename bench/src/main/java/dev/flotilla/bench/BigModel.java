package dev.flotilla.bench;

import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The benchmark's model: a few large tensors (90% of the values) and many small ones, as real networks are. */
final class BigModel {

  private BigModel() {}

  static List<TensorSpec> layout(long bytes, int large, int small) {
    long values = bytes / Float.BYTES;
    long smallEach = Math.max(1, values / 10 / Math.max(1, small));
    long largeTotal = values - smallEach * small;
    if (large < 1 || largeTotal < large) {
      throw new IllegalArgumentException("a model of " + bytes + " bytes cannot hold " + large + " large and " + small
          + " small tensors");
    }
    List<TensorSpec> layout = new ArrayList<>();
    for (int t = 0; t < large; t++) {
      long n = largeTotal / large + (t == large - 1 ? largeTotal % large : 0);
      layout.add(new TensorSpec("large" + t + ".weight", new long[] {n}));
      for (int s = t * small / large; s < (t + 1) * small / large; s++) {
        layout.add(new TensorSpec("block" + s + ".bias", new long[] {smallEach}));
      }
    }
    return layout;
  }

  /** Deterministic, finite, varied values. */
  static float value(int tensor, long index) {
    return ((index * 31 + tensor) % 2001 - 1000) * 1e-3f;
  }

  static void write(Path file, List<TensorSpec> layout) throws IOException {
    Safetensors.write(file, layout, (t, offset, dst, at, count) -> {
      for (int i = 0; i < count; i++) {
        dst[at + i] = value(t, offset + i);
      }
    }, Map.of());
  }

  /** Every value of the exported model equals the initial model's (every party sent those values). */
  static void checkExport(Path exported, Path initial) throws IOException {
    List<TensorSpec> layout = Safetensors.readLayout(initial).layout();
    Safetensors.read(exported, read -> {
      if (!read.equals(layout)) {
        throw new IllegalStateException("the export's layout differs from the initial model's");
      }
    }, (t, offset, src, at, count) -> {
      for (int i = 0; i < count; i++) {
        if (src[at + i] != value(t, offset + i)) {
          throw new IllegalStateException("exported " + layout.get(t).name() + "[" + (offset + i) + "] is "
              + src[at + i] + ", every party sent " + value(t, offset + i));
        }
      }
    });
  }
}
