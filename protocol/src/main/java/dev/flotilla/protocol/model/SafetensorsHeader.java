package dev.flotilla.protocol.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The checked header of a safetensors file: the tensors in the order of their data offsets, the
 * {@code __metadata__} strings, and where the data section starts.
 *
 * @param dataStart byte offset of the data section in the file (8 + header length)
 */
public record SafetensorsHeader(List<TensorSpec> layout, Map<String, String> metadata, long dataStart) {

  public SafetensorsHeader {
    layout = List.copyOf(layout);
    metadata = Map.copyOf(metadata);
  }

  /** Bytes of the data section: the sum of every tensor's stored size. */
  public long dataBytes() {
    long n = 0;
    for (TensorSpec t : layout) {
      n = Math.addExact(n, t.fileBytes());
    }
    return n;
  }

  /** The built-in architecture the file says it holds ({@value Safetensors#MODEL_KEY}), if any. */
  public Optional<String> model() {
    return Optional.ofNullable(metadata.get(Safetensors.MODEL_KEY)).filter(s -> !s.isEmpty());
  }
}
