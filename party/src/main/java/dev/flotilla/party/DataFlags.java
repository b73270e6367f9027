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
 * party} and {@code bin/flotilla evaluate} (a picocli mixin), so both read a data set the same way.
 */
public final class DataFlags {

  @Option(names = "--data", paramLabel = "PATH", defaultValue = "/usr/share/datasets/fashion-mnist",
      description = "The data: a directory of MNIST/Fashion-MNIST idx files, a directory with one "
          + "sub-directory of PNG/JPEG images per class, a .csv file with a header row, an .npz file (or a directory) "
          + "with arrays x and y, or a .safetensors file with tensors x and y (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--data-format", paramLabel = "FORMAT",
      description = "idx, image-folder, csv, numpy or safetensors (default: detected from --data: the file's "
          + "extension, or what the directory holds).")
  String dataFormat;

  @Option(names = "--test-data", paramLabel = "PATH",
      description = "Held-out test data, in the format of --data, read with what was learnt from "
          + "--data (CSV columns, categories and standardisation; class folders) (default: the data's own test "
          + "split for idx files and arrays with x_test/y_test, else a seeded --test-fraction of --data).")
  Path testData;

  @Option(names = "--label-column", paramLabel = "NAME",
      description = "CSV column holding the label (default: a column named label, target or class, else the last).")
  String labelColumn;

  @Option(names = "--classes", paramLabel = "NAME", split = ",", splitSynopsisLabel = ",",
      description = "Class names in class-index order: needed for string labels in CSV files, so every party maps "
          + "them to the same indices; fixes the indices of class folders (default: CSV labels are indices "
          + "0..K-1; class folders are indexed in sorted name order).")
  List<String> classes;

  @Option(names = "--task", paramLabel = "classification|regression",
      description = "What the labels are: classes (cross-entropy, accuracy) or real targets (mean squared error, "
          + "r2) (default: classification; arrays with float y: regression).")
  String task;

  @Option(names = "--input-shape", paramLabel = "CxHxW",
      description = "Channels (1 grey, 3 RGB), height and width images are converted and resized to, e.g. 3x32x32 "
          + "(default: the input of the built-in --model: cnn 1x28x28, resnet20 3x32x32, mlp:IN square grey images "
          + "if IN is a square, else RGB if IN/3 is; images are decoded before the job's model is known, so an "
          + "image folder needs this or --model).")
  String inputShape;

  @Option(names = "--resize", paramLabel = "area|bilinear", defaultValue = "area",
      description = "How images of another size are resized: area averages the pixels each target pixel covers, "
          + "bilinear interpolates (default: ${DEFAULT-VALUE}).")
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
