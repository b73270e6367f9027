package dev.flotilla.party.data;

import java.nio.file.Path;
import java.util.Arrays;

/** Fashion-MNIST (or MNIST, which shares its file names and layout) from a directory of idx files. */
public final class FashionMnist {
  public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
  public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
  public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";
  public static final int CLASSES = 10;

  private FashionMnist() {}

  public static ImageDataset train(Path directory) {
    return load(directory, TRAIN_IMAGES, TRAIN_LABELS);
  }

  public static ImageDataset test(Path directory) {
    return load(directory, TEST_IMAGES, TEST_LABELS);
  }

  /** Checks that all four files are present before any is read, so a person sees every problem at once. */
  public static void requireFiles(Path directory) {
    for (String name : new String[] {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS}) {
      IdxFiles.locate(directory, name);
    }
  }

  static ImageDataset load(Path directory, String imagesName, String labelsName) {
    Path imagesFile = IdxFiles.locate(directory, imagesName);
    Path labelsFile = IdxFiles.locate(directory, labelsName);
    IdxFiles.IdxArray images = IdxFiles.read(imagesFile);
    IdxFiles.IdxArray labels = IdxFiles.read(labelsFile);
    if (images.dimensions().length != 3) {
      throw new DataMissingException(imagesFile + " should hold images (3 dimensions) but has dimensions "
          + Arrays.toString(images.dimensions()));
    }
    if (labels.dimensions().length != 1) {
      throw new DataMissingException(labelsFile + " should hold labels (1 dimension) but has dimensions "
          + Arrays.toString(labels.dimensions()));
    }
    if (images.dimensions()[0] != labels.dimensions()[0]) {
      throw new DataMissingException(imagesFile + " holds " + images.dimensions()[0] + " images but "
          + labelsFile + " holds " + labels.dimensions()[0] + " labels");
    }
    return new ImageDataset(images.data(), labels.data(), images.dimensions()[1], images.dimensions()[2]);
  }
}
