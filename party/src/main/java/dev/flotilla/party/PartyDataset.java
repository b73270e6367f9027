package dev.flotilla.party;

import dev.flotilla.party.data.DataFormat;
import dev.flotilla.party.data.DataOptions;
import dev.flotilla.party.data.DataSets;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.party.data.Partitioner;
import dev.flotilla.party.data.Samples;
import dev.flotilla.party.data.Standardisation;
import dev.flotilla.party.data.Subsets;
import dev.flotilla.party.data.TabularSamples;
import dev.flotilla.party.data.Task;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The party's data: its part of the training data, and the test samples on which it evaluates
 * every global model. The test samples are {@code --test-data} when given, else the data's own
 * test split (idx files, arrays with x_test/y_test), else a seeded held-out fraction of
 * {@code --data}, cut before the partition: parties that share one file then share one test set,
 * disjoint from every party's training part.
 */
public record PartyDataset(Samples train, Samples test, String description) {

  /**
   * What to load and which part to keep.
   *
   * @param data {@code --data}
   * @param testData {@code --test-data}, or null
   * @param options format, label column, classes, task, image shape
   * @param testFraction the held-out share of {@code --data} when there is no test data
   * @param partitioner how the training data is split among the parties
   * @param index this party's part
   * @param count the number of parts
   * @param seed the seed of the held-out split, the partition and the caps' samples
   * @param maxSamples cap on training samples (a seeded sample of the part), or null
   * @param evalSamples cap on test samples (a seeded sample, the same every round), or null
   */
  public record Settings(Path data, Path testData, DataOptions options, double testFraction, Partitioner partitioner,
      int index, int count, long seed, Integer maxSamples, Integer evalSamples) {}

  /**
   * Loads the data and keeps this party's part.
   *
   * @throws dev.flotilla.party.data.BadDataException naming a missing or broken file
   * @throws IllegalArgumentException when the partition leaves this party nothing
   */
  public static PartyDataset load(Settings settings) {
    Shared shared = loadShared(settings);
    DataSets.Loaded loaded = shared.loaded();
    Samples all = shared.train();
    Samples test = shared.test();
    String testOrigin = shared.testOrigin();
    int[] part = settings.partitioner().part(all, settings.index(), settings.count(), settings.seed());
    if (part.length == 0) {
      throw new IllegalArgumentException("partition " + settings.partitioner().describe() + " leaves part "
          + settings.index() + " of " + settings.count() + " empty; use fewer parties or another partition");
    }
    Samples train = all.subset(part);
    int partSize = train.size();
    if (settings.maxSamples() != null && train.size() > settings.maxSamples()) {
      train = train.subset(Subsets.sample(train.size(), settings.maxSamples(), settings.seed()));
    }
    int testSize = test.size();
    if (settings.evalSamples() != null && test.size() > settings.evalSamples()) {
      test = test.subset(Subsets.sample(test.size(), settings.evalSamples(), settings.seed() + 1));
    }
    String scaling = "";
    if (train instanceof TabularSamples tabular && loaded.format() == DataFormat.CSV) {
      // statistics of this party's own training rows, applied to its test rows too
      Standardisation statistics = Standardisation.fit(tabular);
      train = statistics.apply(tabular);
      test = statistics.apply((TabularSamples) test);
      scaling = "; " + statistics + " (this party's training rows)";
    }
    String description = String.format(Locale.ROOT,
        "%s; %d training samples (part %d of %d, %s, seed %d%s%s), %d test samples from %s%s%s",
        loaded.description(), train.size(), settings.index(), settings.count(), settings.partitioner().describe(),
        settings.seed(), perClass(train),
        train.size() < partSize ? ", --max-samples of " + partSize : "", test.size(), testOrigin,
        test.size() < testSize ? " (--eval-samples of " + testSize + ")" : "", scaling);
    return new PartyDataset(train, test, description);
  }

  /**
   * The data every party of the job sees before the partition: the whole training set and the test samples
   * (the held-out fraction cut first when the data has no test split).
   */
  record Shared(DataSets.Loaded loaded, Samples train, Samples test, String testOrigin) {}

  /** Loads the data and cuts the test samples, before any partition (a virtual-party host shares it among its parties). */
  static Shared loadShared(Settings settings) {
    DataSets.Loaded loaded = DataSets.load(settings.data(), settings.testData(), settings.options());
    Samples all = loaded.train();
    Samples test = loaded.test();
    String testOrigin = settings.testData() != null ? "--test-data" : "the data's test split";
    if (test == null) {
      int[][] split = Subsets.heldOut(all.size(), settings.testFraction(), settings.seed());
      if (split[1].length == 0 || split[0].length == 0) {
        throw new IllegalArgumentException(settings.data() + ": " + all.size() + " samples are too few to hold out "
            + settings.testFraction() + " of them for testing; give --test-data");
      }
      test = all.subset(split[1]);
      all = all.subset(split[0]);
      testOrigin = String.format(Locale.ROOT, "a held-out %.0f%% of --data (seed %d)", settings.testFraction() * 100,
          settings.seed());
    }
    return new Shared(loaded, all, test, testOrigin);
  }

  private static String perClass(Samples samples) {
    if (!(samples.task() instanceof Task.Classification classification)) {
      return "";
    }
    if (samples instanceof ImageDataset images) {
      return "; per class " + Arrays.toString(images.labelCounts());
    }
    int[] counts = new int[classification.classes()];
    for (int i = 0; i < samples.size(); i++) {
      counts[samples.classOf(i)]++;
    }
    return "; per class " + Arrays.toString(counts);
  }
}
