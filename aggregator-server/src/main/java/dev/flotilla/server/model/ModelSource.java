package dev.flotilla.server.model;

import dev.flotilla.protocol.model.ControlVariates;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.SafetensorsException;
import dev.flotilla.protocol.model.SafetensorsHeader;
import dev.flotilla.protocol.model.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the job's model comes from: a built-in architecture of {@link ModelSpecs} (seeded initial
 * weights) or an initial safetensors file (its layout and values). The one place the server learns
 * the layout that updates, checkpoints and exports are checked against.
 */
public final class ModelSource {

  /** The most values of one tensor: the longest Java array the JVM allocates. */
  public static final long MAX_TENSOR_VALUES = Integer.MAX_VALUE - 8;

  private final String name;
  private final List<TensorSpec> layout;
  private final Path file;
  private final long seed;
  /** Tensors of the model itself; the rest of the layout are SCAFFOLD's control variates, zero at first. */
  private final int modelTensors;

  private ModelSource(String name, List<TensorSpec> layout, Path file, long seed) {
    this(name, layout, file, seed, layout.size());
  }

  private ModelSource(String name, List<TensorSpec> layout, Path file, long seed, int modelTensors) {
    this.name = name;
    this.layout = List.copyOf(layout);
    this.file = file;
    this.seed = seed;
    this.modelTensors = modelTensors;
  }

  /** This model followed by SCAFFOLD's global control variate, one zero tensor per model tensor ({@link ControlVariates}). */
  public ModelSource withControlVariates() {
    return new ModelSource(name, ControlVariates.append(layout), file, seed, layout.size());
  }

  /** A built-in architecture ("mlp", "cnn", ...), initialised from {@code seed}. */
  public static ModelSource builtIn(String name, long seed) {
    return new ModelSource(name, ModelSpecs.forName(name), null, seed);
  }

  /**
   * An initial model file: its header is read and checked now (the values when they are needed);
   * its {@value Safetensors#MODEL_KEY} metadata, if any, names the architecture for the parties.
   */
  public static ModelSource file(Path file) throws IOException {
    SafetensorsHeader header = Safetensors.readLayout(file);
    for (TensorSpec t : header.layout()) {
      if (t.elementCount() > MAX_TENSOR_VALUES) {
        throw new SafetensorsException(file, "tensor '" + t.name() + "' has " + t.elementCount() + " values; the server "
            + "holds each tensor in one Java array, at most " + MAX_TENSOR_VALUES + " values (8 GiB of float32)");
      }
    }
    String name = header.model().orElse("");
    // parties build a built-in's block from the name alone: a file that names one must have its
    // tensors (any storage dtype), or every party would fail at Join
    if (ModelSpecs.isBuiltIn(name)) {
      String difference = firstDifference(asF32(ModelSpecs.forName(name)), "the built-in", asF32(header.layout()),
          "the file");
      if (difference != null) {
        throw new SafetensorsException(file, "its " + Safetensors.MODEL_KEY + " names the built-in '" + name
            + "', but " + difference + "; drop the metadata or fix the model");
      }
    }
    return new ModelSource(name, header.layout(), file, 0);
  }

  private static List<TensorSpec> asF32(List<TensorSpec> layout) {
    return layout.stream().map(t -> t.withDtype(dev.flotilla.protocol.model.DType.F32)).toList();
  }

  /** The built-in architecture's name, or "" for a file that names none (JoinResponse.model). */
  public String name() {
    return name;
  }

  public List<TensorSpec> layout() {
    return layout;
  }

  /** For messages: "model 'cnn'" or "the model of /path/init.safetensors". */
  public String describe() {
    if (file == null) {
      return "model '" + name + "'";
    }
    return "the model of " + file + (name.isEmpty() ? "" : " ('" + name + "')");
  }

  /** Version 0 of the global model in memory (for tests and small models; the server streams it: {@link #writeInitial}). */
  public float[][] initialValues() throws IOException {
    HeapModel.Builder values = new HeapModel.Builder(layout);
    writeInitial(values);
    return values.build(0).values();
  }

  /**
   * Writes version 0 of the global model into {@code writer}, block by block: the built-in's seeded
   * weights, or the file's values read through one buffer (never the whole file in memory).
   */
  public void writeInitial(ModelWriter writer) throws IOException {
    if (file == null) {
      float[][] values = ModelSpecs.initialWeights(name, seed);
      for (int t = 0; t < values.length; t++) {
        writer.write(t, 0, values[t], 0, values[t].length);
      }
    } else {
      Safetensors.read(file, read -> {
        if (!read.equals(layout.subList(0, modelTensors))) {
          throw new SafetensorsException(file, "changed while the server was reading it");
        }
      }, writer::write);
    }
    // then SCAFFOLD's control variates, if any: zeros, in layout order after the model
    for (int t = modelTensors; t < layout.size(); t++) {
      float[] zeros = new float[layout.get(t).numElements()];
      writer.write(t, 0, zeros, 0, zeros.length);
    }
  }

  /**
   * The first difference between two layouts, e.g. "tensor 3 is fc1.weight[120, 256] in the
   * checkpoint but fc1.weight[120, 400] in the model of init.safetensors", or null when they agree.
   */
  public static String firstDifference(List<TensorSpec> recorded, String recordedWhere, List<TensorSpec> now,
      String nowWhere) {
    for (int i = 0; i < Math.min(recorded.size(), now.size()); i++) {
      if (!recorded.get(i).equals(now.get(i))) {
        return "tensor " + i + " is " + recorded.get(i) + " in " + recordedWhere + " but " + now.get(i) + " in " + nowWhere;
      }
    }
    if (recorded.size() != now.size()) {
      return recordedWhere + " has " + recorded.size() + " tensors but " + nowWhere + " has " + now.size()
          + (recorded.size() > now.size() ? " (no '" + recorded.get(now.size()).name() + "')"
              : " (a new '" + now.get(recorded.size()).name() + "')");
    }
    return null;
  }
}
