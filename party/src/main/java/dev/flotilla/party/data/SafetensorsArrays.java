package dev.flotilla.party.data;

import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.SafetensorsHeader;
import dev.flotilla.protocol.model.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * A .safetensors file holding tensors {@code x} (one row per sample) and {@code y} (one label per
 * sample), and optionally {@code x_test} and {@code y_test}; read with the protocol's codec, whose
 * header checks run before any data is read. Integer {@code y} are class indices, float {@code y}
 * regression targets (unless {@code --task} says).
 */
public final class SafetensorsArrays {
  private SafetensorsArrays() {}

  /** As {@link NumpyArrays#read}: {@code trainTask} is null for training data. */
  public static LabelledArrays.Split read(Path file, DataOptions options, Task trainTask) {
    try {
      SafetensorsHeader header = Safetensors.readLayout(file);
      long elements = 0;
      for (TensorSpec tensor : header.layout()) {
        elements += tensor.elementCount();
      }
      if (elements > DataLimits.MAX_ELEMENTS) {
        throw new BadDataException(file + ": " + elements + " values, more than " + DataLimits.MAX_ELEMENTS
            + " in memory");
      }
      require(file, header.layout(), "x");
      require(file, header.layout(), "y");
      ModelFile content = Safetensors.read(file);
      Samples train = LabelledArrays.samples(array(file, content, "x"), array(file, content, "y"), options, trainTask);
      Samples test = null;
      if (index(content.layout(), "x_test") >= 0) {
        require(file, content.layout(), "y_test");
        test = LabelledArrays.samples(array(file, content, "x_test"), array(file, content, "y_test"), options,
            train.task());
      }
      return new LabelledArrays.Split(train, test);
    } catch (NoSuchFileException e) {
      throw new DataMissingException("data file missing: " + file, e);
    } catch (IOException e) {
      // the codec's messages name the file and the tensor
      throw new BadDataException(e.getMessage(), e);
    }
  }

  private static void require(Path file, List<TensorSpec> layout, String name) {
    if (index(layout, name) < 0) {
      throw new BadDataException(file + ": no tensor '" + name + "' (tensors: "
          + layout.stream().limit(10).map(TensorSpec::name).toList() + "); a data file holds x and y, e.g. "
          + "safetensors.torch.save_file({'x': x, 'y': y}, path)");
    }
  }

  private static int index(List<TensorSpec> layout, String name) {
    for (int i = 0; i < layout.size(); i++) {
      if (layout.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The tensor as an array of float32 (or, for an integer tensor, int64) values. */
  private static NpyFormat.NpyArray array(Path file, ModelFile content, String name) {
    int i = index(content.layout(), name);
    TensorSpec spec = content.layout().get(i);
    float[] values = content.values()[i];
    boolean integer = spec.dtype().isInteger();
    ElementType type = integer ? ElementType.INT64 : ElementType.FLOAT32;
    ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(values.length, type.bytes())).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      if (integer) {
        bytes.putLong(Math.round(v));
      } else {
        bytes.putFloat(v);
      }
    }
    return new NpyFormat.NpyArray(file + " tensor '" + name + "'", type, ByteOrder.LITTLE_ENDIAN, spec.shape(),
        bytes.array());
  }
}
