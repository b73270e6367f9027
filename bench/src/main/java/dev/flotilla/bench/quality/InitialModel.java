package dev.flotilla.bench.quality;

import dev.flotilla.protocol.model.ModelSpecs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Version 0 of a built-in model as the aggregator makes it ({@link ModelSpecs#initialWeights}), in a file
 * the PyTorch reference reads: the tensors as raw little-endian float32, one after another in the
 * layout's order ({@code .f32}).
 */
final class InitialModel {
  private InitialModel() {}

  static Path write(Path directory, String model, long seed) {
    float[][] weights = ModelSpecs.initialWeights(model, seed);
    long values = ModelSpecs.totalElements(ModelSpecs.forName(model));
    ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(values * Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] tensor : weights) {
      bytes.asFloatBuffer().put(tensor);
      bytes.position(bytes.position() + tensor.length * Float.BYTES);
    }
    Path file = directory.resolve(model + "-seed" + seed + ".f32");
    try {
      Files.createDirectories(directory);
      Files.write(file, bytes.array());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the initial model " + file + ": " + e.getMessage(), e);
    }
    return file;
  }
}
