package dev.flotilla.protocol.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model read from a safetensors file: its layout in the order of the data offsets, one float32
 * array per tensor (row-major, converted from the stored dtype), and the header's
 * {@code __metadata__}.
 */
public record ModelFile(List<TensorSpec> layout, float[][] values, Map<String, String> metadata) {

  public ModelFile {
    layout = List.copyOf(layout);
    metadata = Map.copyOf(metadata);
  }

  /** The built-in architecture the file says it holds ({@value Safetensors#MODEL_KEY}), if any. */
  public Optional<String> model() {
    return Optional.ofNullable(metadata.get(Safetensors.MODEL_KEY)).filter(s -> !s.isEmpty());
  }
}
