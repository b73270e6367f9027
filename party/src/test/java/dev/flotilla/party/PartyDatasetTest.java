package dev.flotilla.party;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.party.data.DataOptions;
import dev.flotilla.party.data.Partitioner;
import dev.flotilla.party.data.Samples;
import dev.flotilla.party.data.Subsets;
import dev.flotilla.party.data.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("A party's data set")
class PartyDatasetTest {
  @TempDir Path dir;

  /** {@code rows} rows: a in N(50, 10), b in N(-3, 2), colour red/blue, label 0/1 (or a real target). */
  Path csv(int rows, boolean regression) throws IOException {
    Random random = new Random(1);
    StringBuilder text = new StringBuilder("a,b,colour,label\n");
    for (int i = 0; i < rows; i++) {
      text.append(50 + 10 * random.nextGaussian()).append(',').append(-3 + 2 * random.nextGaussian()).append(',')
          .append(i % 3 == 0 ? "red" : "blue").append(',')
          .append(regression ? Double.toString(random.nextDouble()) : Integer.toString(i % 2)).append('\n');
    }
    return Files.writeString(dir.resolve(regression ? "regression.csv" : "data.csv"), text);
  }

  static PartyDataset.Settings settings(Path data, String partition, int index, int count) {
    return new PartyDataset.Settings(data, null, DataOptions.defaults(), 0.2, Partitioner.parse(partition), index,
        count, 42, null, null);
  }

  static float[] features(Samples samples, int index) {
    float[] values = new float[samples.featuresPerSample()];
    samples.copyFeatures(index, values, 0);
    return values;
  }

  @Test
  @DisplayName("without test data a seeded fifth is held out before the partition: parties share it and train on disjoint rest")
  void heldOut() throws IOException {
    Path data = csv(100, false);
    PartyDataset first = PartyDataset.load(settings(data, "iid", 0, 2));
    PartyDataset second = PartyDataset.load(settings(data, "iid", 1, 2));

    assertThat(first.test().size()).isEqualTo(20);
    assertThat(second.test().size()).isEqualTo(20);
    assertThat(first.train().size() + second.train().size()).isEqualTo(80);
    assertThat(first.description()).contains("20 test samples from a held-out 20% of --data (seed 42)");

    int[][] split = Subsets.heldOut(100, 0.2, 42);
    assertThat(split[1]).isEqualTo(Subsets.heldOut(100, 0.2, 42)[1]).hasSize(20);
    BitSet all = new BitSet();
    Arrays.stream(split[0]).forEach(all::set);
    Arrays.stream(split[1]).forEach(i -> assertThat(all.get(i)).as("row %d in both", i).isFalse());
    Arrays.stream(split[1]).forEach(all::set);
    assertThat(all.cardinality()).isEqualTo(100);
    assertThat(Subsets.heldOut(100, 0.2, 43)[1]).isNotEqualTo(split[1]);
  }

  @Test
  @DisplayName("CSV features are standardised with this party's own training rows: mean 0 and std 1 there, one-hot left 0/1")
  void standardisedOnOwnRows() throws IOException {
    PartyDataset party = PartyDataset.load(settings(csv(300, false), "iid", 1, 3));
    Samples train = party.train();
    assertThat(train.sampleShape()).containsExactly(4); // a, b, colour=blue, colour=red
    for (int j = 0; j < 2; j++) {
      double sum = 0;
      double squares = 0;
      for (int i = 0; i < train.size(); i++) {
        double x = features(train, i)[j];
        sum += x;
        squares += x * x;
      }
      double mean = sum / train.size();
      assertThat(mean).as("feature %d mean", j).isCloseTo(0, within(1e-5));
      assertThat(Math.sqrt(squares / train.size() - mean * mean)).as("feature %d std", j).isCloseTo(1, within(1e-4));
    }
    for (int i = 0; i < party.test().size(); i++) {
      float[] row = features(party.test(), i);
      assertThat(row[2] + row[3]).isEqualTo(1f);
    }
    assertThat(party.description()).contains("standardised 2 numeric of 4 features (this party's training rows)");
  }

  @Test
  @DisplayName("--max-samples and --eval-samples keep seeded samples of that size, the same on every load")
  void caps() throws IOException {
    Path data = csv(200, false);
    PartyDataset.Settings capped = new PartyDataset.Settings(data, null, DataOptions.defaults(), 0.2,
        Partitioner.parse("iid"), 0, 2, 42, 30, 7);
    PartyDataset once = PartyDataset.load(capped);
    PartyDataset again = PartyDataset.load(capped);
    assertThat(once.train().size()).isEqualTo(30);
    assertThat(once.test().size()).isEqualTo(7);
    assertThat(features(once.test(), 3)).containsExactly(features(again.test(), 3));
    assertThat(once.description()).contains("--max-samples of 80").contains("(--eval-samples of 40)");
  }

  @Test
  @DisplayName("a regression task can be split iid; label-skew partitions say they need classes")
  void regressionPartitions() throws IOException {
    Path data = csv(100, true);
    DataOptions regression = DataOptions.defaults().withTask(DataOptions.TaskKind.REGRESSION);
    PartyDataset party = PartyDataset.load(new PartyDataset.Settings(data, null, regression, 0.2,
        Partitioner.parse("iid"), 0, 2, 42, null, null));
    assertThat(party.train().task()).isEqualTo(Task.regression());
    assertThat(party.train().size()).isEqualTo(40);
    assertThatThrownBy(() -> PartyDataset.load(new PartyDataset.Settings(data, null, regression, 0.2,
        Partitioner.parse("dirichlet:0.5"), 0, 2, 42, null, null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("partition dirichlet:0.5 deals out classes, but the data is a regression task; use --partition iid");
  }

  @Test
  @DisplayName("--test-data is read with the training file's schema and used whole")
  void testData() throws IOException {
    Path data = csv(50, false);
    Path test = Files.writeString(dir.resolve("test.csv"), "colour,b,a,label\nred,1,2,1\nblue,0,1,0\n");
    PartyDataset party = PartyDataset.load(new PartyDataset.Settings(data, test, DataOptions.defaults(), 0.2,
        Partitioner.parse("iid"), 0, 1, 42, null, null));
    assertThat(party.train().size()).isEqualTo(50);
    assertThat(party.test().size()).isEqualTo(2);
    assertThat(party.test().classOf(0)).isEqualTo(1);
    assertThat(features(party.test(), 0)[3]).isEqualTo(1f); // colour=red
  }
}
