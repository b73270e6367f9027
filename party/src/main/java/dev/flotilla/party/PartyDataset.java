package dev.flotilla.party;

import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.party.data.Partitioner;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The party's data: its slice of the training set, and the full test set on which it evaluates
 * every global model (all parties share the test set, so their reports average to the global
 * model's accuracy on it).
 */
public record PartyDataset(ImageDataset train, ImageDataset test, String description) {

  /**
   * Loads Fashion-MNIST from {@code directory} and keeps part {@code index} of {@code count}.
   *
   * @throws dev.flotilla.party.data.DataMissingException naming a missing or broken file
   */
  public static PartyDataset load(Path directory, Partitioner partitioner, int index, int count, long seed) {
    FashionMnist.requireFiles(directory);
    ImageDataset fullTrain = FashionMnist.train(directory);
    int[] part = partitioner.part(fullTrain, index, count, seed);
    if (part.length == 0) {
      throw new IllegalArgumentException("partition " + partitioner.describe() + " leaves part " + index + " of "
          + count + " empty; use fewer parties or another partition");
    }
    ImageDataset train = fullTrain.subset(part);
    ImageDataset test = FashionMnist.test(directory);
    String description = String.format("%d training samples (part %d of %d, %s, seed %d; per label %s), %d test samples",
        train.size(), index, count, partitioner.describe(), seed, Arrays.toString(train.labelCounts()), test.size());
    return new PartyDataset(train, test, description);
  }
}
