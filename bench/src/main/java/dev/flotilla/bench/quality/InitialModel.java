package dev.flotilla.bench.quality;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.Safetensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Version 0 of a built-in model exactly as the aggregator starts from it with {@code --model NAME --seed S}
 * ({@link ModelSpecs#initialWeights}), as a safetensors file that the PyTorch reference loads into its
 * module with {@code load_state_dict}.
 */
final class InitialModel {
  private InitialModel() {}

  static Path write(Path directory, String model, long seed) {
    Path file = directory.resolve(model.replace(':', '-') + "-seed" + seed + ".safetensors");
    try {
      Safetensors.write(file, ModelSpecs.forName(model), ModelSpecs.initialWeights(model, seed),
          Map.of(Safetensors.MODEL_KEY, model));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the initial model " + file + ": " + e.getMessage(), e);
    }
    return file;
  }
}
