package dev.flotilla.party;

import dev.flotilla.party.data.DataFormat;
import dev.flotilla.party.data.DataOptions;
import dev.flotilla.party.data.ImageShapes;
import dev.flotilla.protocol.model.ModelSpecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The flags that say where a party's data is and how to read it, shared by {@code bin/flotilla
 * party} and {@code bin/flotilla evaluate} (a picocli mixin), so both read a data set the same way. Their
 * descriptions and defaults are {@link dev.flotilla.protocol.options.PartyOptions#DATA_OPTIONS}.
 */
public final class DataFlags {

  @Option(names = "--data")
  Path data;

  @Option(names = "--data-format")
  String dataFormat;

  @Option(names = "--test-data")
  Path testData;

  @Option(names = "--label-column")
  String labelColumn;

  @Option(names = "--classes", split = ",", splitSynopsisLabel = ",")
  List<String> classes;

  @Option(names = "--task")
  String task;

  @Option(names = "--input-shape")
  String inputShape;

  @Option(names = "--resize")
  String resize;

  public Path data() {
    return data;
  }

  public Path testData() {
    return testData;
  }

  /**
   * Problems with the paths, before anything is read (the files themselves are checked, and
   * refused with exit 3, when they are read).
   *
   * @throws IllegalArgumentException naming the flag and what is wrong
   */
  void checkPaths() {
    if (!Files.exists(data)) {
      throw new dev.flotilla.party.data.DataMissingException("--data " + data + " does not exist; point it at idx files "
          + "(Debian package dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist), class folders, "
          + "a .csv, .npz or .safetensors file");
    }
    if (testData != null && !Files.exists(testData)) {
      throw new dev.flotilla.party.data.DataMissingException("--test-data " + testData + " does not exist");
    }
  }

  /**
   * The flags as one value. An image folder's shape is {@code --input-shape}, else the input of
   * {@code model} when it is a built-in; when both are known they must hold the same number of values.
   *
   * @param model the built-in model the data is for, or null
   * @throws IllegalArgumentException naming the flag and what is wrong
   */
  public DataOptions options(String model) {
    DataOptions options = DataOptions.defaults()
        .withFormat(dataFormat == null ? null : DataFormat.parse(dataFormat))
        .withLabelColumn(labelColumn)
        .withClasses(classes == null ? List.of() : classes.stream().map(String::strip).toList())
        .withTask(task == null ? null : DataOptions.TaskKind.parse(task))
        .withResize(DataOptions.Resize.parse(resize));
    if (new HashSet<>(options.classes()).size() != options.classes().size()) {
      throw new IllegalArgumentException("--classes names a class twice: " + options.classes());
    }
    if (options.task() == DataOptions.TaskKind.REGRESSION && !options.classes().isEmpty()) {
      throw new IllegalArgumentException("--classes is for classification; --task regression has no classes");
    }
    String builtIn = model != null && ModelSpecs.isBuiltIn(model.trim().toLowerCase(Locale.ROOT))
        ? model.trim().toLowerCase(Locale.ROOT) : null;
    if (inputShape != null) {
      int[] shape = DataOptions.parseInputShape(inputShape);
      if (builtIn != null && (long) shape[0] * shape[1] * shape[2] != ImageShapes.inputSize(builtIn)) {
        throw new IllegalArgumentException("--input-shape " + inputShape + " gives " + (long) shape[0] * shape[1] * shape[2]
            + " values per image but --model " + builtIn + " takes " + ImageShapes.inputSize(builtIn));
      }
      return options.withInputShape(shape);
    }
    return builtIn == null ? options : options.withInputShape(ImageShapes.forModel(builtIn).orElse(null));
  }
}
