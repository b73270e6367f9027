package dev.flotilla.e2e;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's image-folder acceptance: Fashion-MNIST images written as PNG files into one folder
 * per class, and the very same images (same order) as idx files; two 3-party federations (server
 * and parties as processes over mutual TLS), one reading each, must reach the same accuracy.
 */
@RequiresRealServers(FASHION_MNIST)
@DisplayName("Image-folder job")
class ImageFolderJobIT {
  static final int TRAIN_IMAGES = 3000;
  static final int TEST_IMAGES = 1000;
  static final int ROUNDS = 3;
  /** Fashion-MNIST's class names in label order; sorted, they are in another order, so --classes fixes it. */
  static final List<String> CLASSES = List.of("tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
      "sneaker", "bag", "boot");

  @Test
  @DisplayName("3 parties on PNG class folders reach the accuracy 3 parties reach on the same images as idx files")
  void imageFoldersMatchIdx(@TempDir Path dir) throws IOException {
    Path source = RealServer.fashionMnistDirectory();
    // class-major order, as the folder reader lists the images: both federations see one data set in one order
    ImageDataset train = classMajor(FashionMnist.train(source).head(TRAIN_IMAGES));
    ImageDataset test = classMajor(FashionMnist.test(source).head(TEST_IMAGES));
    Path folders = writeFolders(train, dir.resolve("folders/train"));
    Path testFolders = writeFolders(test, dir.resolve("folders/test"));
    Path idx = Files.createDirectories(dir.resolve("idx"));
    writeIdx(train, idx.resolve(FashionMnist.TRAIN_IMAGES), idx.resolve(FashionMnist.TRAIN_LABELS));
    writeIdx(test, idx.resolve(FashionMnist.TEST_IMAGES), idx.resolve(FashionMnist.TEST_LABELS));

    JobStatus fromIdx = run(settings().dataDirectory(idx), dir.resolve("run-idx"), "idx files in " + idx);
    JobStatus fromFolders = run(settings().dataDirectory(folders)
        .partyArg("--test-data", testFolders.toString())
        .partyArg("--classes", String.join(",", CLASSES)), dir.resolve("run-folders"),
        "image folders in " + folders + " (test: " + testFolders + "): 10 classes");

    System.out.printf("idx: %s; image folders: %s%n", fromIdx.accuracyPerRound(), fromFolders.accuracyPerRound());
    assertThat(fromIdx.roundsCompleted()).isEqualTo(ROUNDS);
    assertThat(fromFolders.roundsCompleted()).isEqualTo(ROUNDS);
    double idxAccuracy = fromIdx.finalAccuracy();
    double folderAccuracy = fromFolders.finalAccuracy();
    assertThat(idxAccuracy).as("the idx run learnt (chance is 0.1)").isGreaterThan(0.5);
    assertThat(folderAccuracy).as("image folders %s against idx %s", fromFolders.accuracyPerRound(),
        fromIdx.accuracyPerRound()).isCloseTo(idxAccuracy, org.assertj.core.data.Offset.offset(0.01));
  }

  static LocalFederation.Settings settings() {
    return Federations.settings().rounds(ROUNDS).model("mlp").partition("dirichlet:0.5");
  }

  /** Runs a federation to its end; every party's log must show it read {@code dataDescription}. */
  static JobStatus run(LocalFederation.Settings settings, Path dir, String dataDescription) {
    try (LocalFederation federation = Federations.start(settings, dir)) {
      JobStatus status = Federations.awaitFinished(federation, Duration.ofMinutes(8));
      assertThat(federation.parties()).allSatisfy(party -> assertThat(party.log()).contains(dataDescription));
      return status;
    }
  }

  /** The same images sorted by class, stable within a class. */
  static ImageDataset classMajor(ImageDataset data) {
    Integer[] order = new Integer[data.size()];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, (a, b) -> Integer.compare(data.classOf(a), data.classOf(b)));
    return data.subset(Arrays.stream(order).mapToInt(Integer::intValue).toArray());
  }

  /** One grey PNG per image in {@code <class name>/<index>.png}; index zero-padded so names sort in order. */
  static Path writeFolders(ImageDataset data, Path root) throws IOException {
    for (String name : CLASSES) {
      Files.createDirectories(root.resolve(name));
    }
    for (int i = 0; i < data.size(); i++) {
      BufferedImage image = new BufferedImage(data.columns(), data.rows(), BufferedImage.TYPE_BYTE_GRAY);
      image.getRaster().setDataElements(0, 0, data.columns(), data.rows(), data.imageBytes(i));
      Path file = root.resolve(CLASSES.get(data.classOf(i))).resolve(String.format("%05d.png", i));
      assertThat(ImageIO.write(image, "png", file.toFile())).isTrue();
    }
    return root;
  }

  static void writeIdx(ImageDataset data, Path images, Path labels) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(images)))) {
      out.writeInt(0x0803);
      out.writeInt(data.size());
      out.writeInt(data.rows());
      out.writeInt(data.columns());
      for (int i = 0; i < data.size(); i++) {
        out.write(data.imageBytes(i));
      }
    }
    try (OutputStream raw = Files.newOutputStream(labels); DataOutputStream out = new DataOutputStream(raw)) {
      out.writeInt(0x0801);
      out.writeInt(data.size());
      for (int i = 0; i < data.size(); i++) {
        out.writeByte(data.classOf(i));
      }
    }
  }
}
