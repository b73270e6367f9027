package dev.flotilla.party.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * NumPy arrays: a directory holding {@code x.npy} and {@code y.npy}, or an {@code .npz} archive
 * holding {@code x} and {@code y} ({@code np.savez(path, x=x, y=y)}); optional {@code x_test} and
 * {@code y_test} beside them are the test split. {@code x} has one row per sample (any further
 * dimensions are the sample's shape); {@code y} one label per sample.
 */
public final class NumpyArrays {
  public static final String X_FILE = "x.npy";
  static final String Y_FILE = "y.npy";
  static final String X_TEST_FILE = "x_test.npy";
  static final String Y_TEST_FILE = "y_test.npy";

  private NumpyArrays() {}

  /**
   * The training samples and, when the arrays have them, the test samples. {@code trainTask} is
   * null for training data, or the training data's task when {@code path} is a test file.
   */
  public static LabelledArrays.Split read(Path path, DataOptions options, Task trainTask) {
    if (Files.isDirectory(path)) {
      NpyFormat.NpyArray x = readFile(path.resolve(X_FILE));
      NpyFormat.NpyArray y = readFile(path.resolve(Y_FILE));
      Samples train = LabelledArrays.samples(x, y, options, trainTask);
      Samples test = null;
      if (Files.isRegularFile(path.resolve(X_TEST_FILE))) {
        test = LabelledArrays.samples(readFile(path.resolve(X_TEST_FILE)), readFile(path.resolve(Y_TEST_FILE)), options,
            train.task());
      }
      return new LabelledArrays.Split(train, test);
    }
    if (!path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npz")) {
      throw new BadDataException(path + ": NumPy data is an .npz file or a directory holding x.npy and y.npy");
    }
    try (ZipFile zip = new ZipFile(path.toFile())) {
      NpyFormat.NpyArray x = readEntry(zip, path, X_FILE, true);
      NpyFormat.NpyArray y = readEntry(zip, path, Y_FILE, true);
      Samples train = LabelledArrays.samples(x, y, options, trainTask);
      NpyFormat.NpyArray xTest = readEntry(zip, path, X_TEST_FILE, false);
      Samples test = xTest == null ? null
          : LabelledArrays.samples(xTest, readEntry(zip, path, Y_TEST_FILE, true), options, train.task());
      return new LabelledArrays.Split(train, test);
    } catch (NoSuchFileException e) {
      throw new DataMissingException("data file missing: " + path, e);
    } catch (ZipException e) {
      throw new BadDataException(path + ": not a valid .npz (zip) archive: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new DataMissingException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  static NpyFormat.NpyArray readFile(Path file) {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      return NpyFormat.read(in, file.toString(), Files.size(file));
    } catch (NoSuchFileException e) {
      throw new DataMissingException("data file missing: " + file, e);
    } catch (IOException e) {
      throw new DataMissingException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static NpyFormat.NpyArray readEntry(ZipFile zip, Path path, String name, boolean required)
      throws IOException {
    ZipEntry entry = zip.getEntry(name);
    if (entry == null) {
      if (required) {
        throw new BadDataException(path + ": no array '" + name.replace(".npy", "") + "' (entries: "
            + zip.stream().limit(10).map(ZipEntry::getName).toList() + "); save with np.savez(path, x=x, y=y)");
      }
      return null;
    }
    // the declared size of a zip entry may lie, so the data is read as a bounded stream, never sized from it
    try (InputStream in = new BufferedInputStream(zip.getInputStream(entry), 1 << 16)) {
      return NpyFormat.read(in, path + "!" + name, -1);
    }
  }
}
