package dev.flotilla.party.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.BiFunction;

/**
 * Reads {@code --data} (and {@code --test-data}) in any supported format into {@link Samples}. A
 * test file is read the way its training data was: with the CSV schema learnt from the training
 * file, the class folders' class list, the training arrays' task.
 */
public final class DataSets {
  private DataSets() {}

  /**
   * What was read: the training samples, the test samples (from {@code --test-data} or the data's
   * own test split; null when there is neither) and one line describing both for the log.
   */
  public record Loaded(Samples train, Samples test, DataFormat format, String description) {}

  public static Loaded load(Path data, Path testData, DataOptions options) {
    DataFormat format = options.format() != null ? options.format() : DataFormat.detect(data);
    Loaded loaded = switch (format) {
      case IDX -> idx(data, testData);
      case CSV -> csv(data, testData, options);
      case IMAGE_FOLDER -> imageFolder(data, testData, options);
      case NUMPY -> arrays(format, data, testData, NumpyArrays.read(data, options, null),
          (test, task) -> NumpyArrays.read(test, options, task));
      case SAFETENSORS -> arrays(format, data, testData, SafetensorsArrays.read(data, options, null),
          (test, task) -> SafetensorsArrays.read(test, options, task));
    };
    if (loaded.test() != null && !Arrays.equals(loaded.train().sampleShape(), loaded.test().sampleShape())) {
      throw new BadDataException("test data " + (testData != null ? testData : data) + " has samples of shape "
          + Arrays.toString(loaded.test().sampleShape()) + " but the training data " + data + " has "
          + Arrays.toString(loaded.train().sampleShape()));
    }
    return loaded;
  }

  private static Loaded idx(Path data, Path testData) {
    FashionMnist.requireFiles(data);
    ImageDataset train = FashionMnist.train(data);
    ImageDataset test = FashionMnist.test(testData != null ? testData : data);
    return new Loaded(train, test, DataFormat.IDX, "idx files in " + data
        + (testData != null ? ", test set from " + testData : ""));
  }

  private static Loaded csv(Path data, Path testData, DataOptions options) {
    requireFile(data);
    CsvSchema schema = CsvReader.learn(data, options);
    TabularSamples train = CsvReader.read(data, schema);
    TabularSamples test = testData == null ? null : CsvReader.read(requireFile(testData), schema);
    return new Loaded(train, test, DataFormat.CSV, "CSV " + data + (testData != null ? " (test: " + testData + ")" : "")
        + ": " + schema.describe());
  }

  private static Loaded imageFolder(Path data, Path testData, DataOptions options) {
    ImageFolders.ImageFolder train = ImageFolders.read(data, options);
    ImageDataset test = testData == null ? null
        : ImageFolders.read(testData, options.withClasses(train.classes())).samples();
    int[] shape = options.inputShape();
    return new Loaded(train.samples(), test, DataFormat.IMAGE_FOLDER, String.format(
        "image folders in %s%s: %d classes %s, images as %dx%dx%d (%s resize)%s", data,
        testData != null ? " (test: " + testData + ")" : "", train.classes().size(), train.classes(), shape[0],
        shape[1], shape[2], options.resize().name().toLowerCase(java.util.Locale.ROOT),
        train.skipped() > 0 ? ", " + train.skipped() + " non-image files skipped" : ""));
  }

  private static Loaded arrays(DataFormat format, Path data, Path testData, LabelledArrays.Split split,
      BiFunction<Path, Task, LabelledArrays.Split> readTest) {
    Samples test = testData != null ? readTest.apply(testData, split.train().task()).train() : split.test();
    return new Loaded(split.train(), test, format, format.flag() + " arrays " + data
        + (testData != null ? " (test: " + testData + ")" : split.test() != null ? " with x_test/y_test" : "")
        + ": samples of shape " + Arrays.toString(split.train().sampleShape()) + ", " + split.train().task());
  }

  private static Path requireFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new DataMissingException("data file missing: " + file);
    }
    return file;
  }
}
