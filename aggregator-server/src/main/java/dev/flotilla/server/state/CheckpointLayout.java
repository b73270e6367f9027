package dev.flotilla.server.state;

import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The model layout as the checkpoint's metadata JSON records it, and its checks when read back. */
final class CheckpointLayout {

  /** One tensor: {"name": ..., "shape": [...], "dtype": "F32"}. */
  static final class Entry {
    String name;
    long[] shape;
    String dtype;
  }

  private CheckpointLayout() {}

  static List<Entry> encode(List<TensorSpec> layout) {
    List<Entry> entries = new ArrayList<>(layout.size());
    for (TensorSpec t : layout) {
      Entry e = new Entry();
      e.name = t.name();
      e.shape = t.shape();
      e.dtype = t.dtype().safetensorsName();
      entries.add(e);
    }
    return entries;
  }

  /**
   * The recorded layout, checked against the lengths of the global model's tensors (one entry per
   * tensor, its element count the tensor's length); empty when the checkpoint recorded none.
   */
  static List<TensorSpec> decode(Path file, List<Entry> entries, int[] global) throws InvalidCheckpointException {
    if (entries == null) {
      return List.of();
    }
    if (entries.size() != global.length) {
      throw corrupt(file, "its layout lists " + entries.size() + " tensors but the global model has " + global.length);
    }
    List<TensorSpec> layout = new ArrayList<>(entries.size());
    Set<String> names = new HashSet<>();
    for (int t = 0; t < entries.size(); t++) {
      Entry e = entries.get(t);
      if (e == null || e.name == null || e.name.isEmpty() || e.shape == null || e.dtype == null) {
        throw corrupt(file, "its layout entry " + t + " lacks a name, shape or dtype");
      }
      if (!names.add(e.name)) {
        throw corrupt(file, "its layout names tensor '" + e.name + "' twice");
      }
      DType dtype = DType.fromSafetensors(e.dtype)
          .orElseThrow(() -> corrupt(file, "its layout gives tensor '" + e.name + "' the unknown dtype " + e.dtype));
      TensorSpec spec;
      long elements;
      try {
        spec = new TensorSpec(e.name, e.shape, dtype);
        elements = spec.elementCount();
      } catch (IllegalArgumentException | ArithmeticException bad) {
        throw corrupt(file, "its layout gives tensor '" + e.name + "' the shape " + Arrays.toString(e.shape));
      }
      if (elements != global[t]) {
        throw corrupt(file, "its layout gives tensor '" + e.name + "' shape " + spec.shapeString() + " ("
            + elements + " values) but the global model's tensor " + t + " has " + global[t]);
      }
      layout.add(spec);
    }
    return layout;
  }

  private static InvalidCheckpointException corrupt(Path file, String problem) {
    return new InvalidCheckpointException(file, "is corrupt: " + problem);
  }
}
