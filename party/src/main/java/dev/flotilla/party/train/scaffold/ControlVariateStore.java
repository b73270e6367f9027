package dev.flotilla.party.train.scaffold;

import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a party keeps its SCAFFOLD control variate c_i between rounds: in memory (a virtual party of
 * the simulator, or a party without --work-dir) or in a safetensors file per job in the party's
 * --work-dir, written atomically, so that a restarted party goes on from its last c_i.
 */
public interface ControlVariateStore {

  /** The party's c_i kept under {@code key} (job and party), in {@code layout}; zeros (the paper's start) when there is none yet. */
  float[][] load(String key, List<TensorSpec> layout);

  /** Keeps {@code values} as the party's c_i under {@code key}. */
  void save(String key, List<TensorSpec> layout, float[][] values);

  /** Kept on the heap: gone with the process. */
  static ControlVariateStore inMemory() {
    Map<String, float[][]> kept = new ConcurrentHashMap<>();
    return new ControlVariateStore() {
      @Override
      public float[][] load(String key, List<TensorSpec> layout) {
        float[][] values = kept.get(key);
        return values != null ? copy(values) : zeros(layout);
      }

      @Override
      public void save(String key, List<TensorSpec> layout, float[][] values) {
        kept.put(key, copy(values));
      }
    };
  }

  /** Kept in {@code directory}/scaffold-c-KEY.safetensors. */
  static ControlVariateStore inDirectory(Path directory) {
    return new ControlVariateStore() {
      @Override
      public float[][] load(String key, List<TensorSpec> layout) {
        Path file = fileOf(directory, key);
        if (!Files.exists(file)) {
          return zeros(layout);
        }
        try {
          ModelFile saved = Safetensors.read(file);
          if (!saved.layout().equals(layout)) {
            throw new IllegalStateException(file + " holds a control variate of another layout than " + key
                + "'s model; delete it to start from zero");
          }
          return saved.values();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read the SCAFFOLD control variate " + file, e);
        }
      }

      @Override
      public void save(String key, List<TensorSpec> layout, float[][] values) {
        try {
          Files.createDirectories(directory);
          Safetensors.write(fileOf(directory, key), layout, values, Map.of());
        } catch (IOException e) {
          throw new UncheckedIOException("cannot write the SCAFFOLD control variate in " + directory, e);
        }
      }
    };
  }

  private static Path fileOf(Path directory, String key) {
    return directory.resolve("scaffold-c-" + key.replaceAll("[^A-Za-z0-9._-]", "_") + ".safetensors");
  }

  private static float[][] zeros(List<TensorSpec> layout) {
    float[][] values = new float[layout.size()][];
    for (int t = 0; t < values.length; t++) {
      values[t] = new float[layout.get(t).numElements()];
    }
    return values;
  }

  private static float[][] copy(float[][] values) {
    float[][] copy = new float[values.length][];
    for (int t = 0; t < values.length; t++) {
      copy[t] = values[t].clone();
    }
    return copy;
  }
}
