package dev.flotilla.party.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/** The formats a party reads from {@code --data}, detected from the path unless {@code --data-format} says. */
public enum DataFormat {
  /** A directory of MNIST/Fashion-MNIST idx files (gzipped or not), with their own test split. */
  IDX("idx"),
  /** A directory with one sub-directory of PNG/JPEG images per class. */
  IMAGE_FOLDER("image-folder"),
  /** A CSV file with a header row. */
  CSV("csv"),
  /** An .npz archive, or a directory, holding x.npy and y.npy. */
  NUMPY("numpy"),
  /** A .safetensors file with tensors x and y. */
  SAFETENSORS("safetensors");

  private final String flag;

  DataFormat(String flag) {
    this.flag = flag;
  }

  /** The spelling of {@code --data-format}. */
  public String flag() {
    return flag;
  }

  public static DataFormat parse(String text) {
    String key = text.trim().toLowerCase(Locale.ROOT);
    for (DataFormat format : values()) {
      if (format.flag.equals(key)) {
        return format;
      }
    }
    throw new IllegalArgumentException("--data-format must be one of idx, image-folder, csv, numpy, safetensors, got '"
        + text + "'");
  }

  /**
   * The format of {@code path}: by extension for a file (.csv, .npz, .safetensors), by content for a
   * directory (x.npy, class sub-directories, else idx files).
   *
   * @throws BadDataException for a file of unknown extension
   */
  public static DataFormat detect(Path path) {
    String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (Files.isRegularFile(path)) {
      if (name.endsWith(".csv")) {
        return CSV;
      }
      if (name.endsWith(".npz")) {
        return NUMPY;
      }
      if (name.endsWith(".safetensors")) {
        return SAFETENSORS;
      }
      throw new BadDataException(path + ": cannot tell its format from the name; expected a .csv, .npz or "
          + ".safetensors file or a directory, or say --data-format");
    }
    if (!Files.isDirectory(path)) {
      throw new DataMissingException("--data " + path + " does not exist");
    }
    if (Files.isRegularFile(path.resolve(FashionMnist.TRAIN_IMAGES))
        || Files.isRegularFile(path.resolve(FashionMnist.TRAIN_IMAGES + ".gz"))) {
      return IDX;
    }
    if (Files.isRegularFile(path.resolve(NumpyArrays.X_FILE))) {
      return NUMPY;
    }
    try (Stream<Path> children = Files.list(path)) {
      if (children.anyMatch(Files::isDirectory)) {
        return IMAGE_FOLDER;
      }
    } catch (IOException e) {
      throw new DataMissingException("cannot list --data " + path + ": " + e.getMessage(), e);
    }
    // nothing else fits: read it as idx files, whose reader names each file it misses
    return IDX;
  }
}
