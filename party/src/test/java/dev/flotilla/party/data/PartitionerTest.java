package dev.flotilla.party.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PartitionerTest {

  /** 6000 one-pixel samples, 600 per class, labels in a scrambled order. */
  static ImageDataset balanced(int samples) {
    byte[] labels = new byte[samples];
    for (int i = 0; i < samples; i++) {
      labels[i] = (byte) (i % 10);
    }
    Random random = new Random(99);
    for (int i = samples - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      byte t = labels[i];
      labels[i] = labels[j];
      labels[j] = t;
    }
    return new ImageDataset(new byte[samples], labels, 1, 1);
  }

  static final ImageDataset DATA = balanced(6000);

  static void assertDisjointAndCovering(List<int[]> parts, int size) {
    BitSet seen = new BitSet(size);
    int total = 0;
    for (int[] part : parts) {
      for (int index : part) {
        assertThat(seen.get(index)).as("index %d in two parts", index).isFalse();
        seen.set(index);
      }
      total += part.length;
    }
    assertThat(total).isEqualTo(size);
    assertThat(seen.cardinality()).isEqualTo(size);
  }

  static int distinctLabels(ImageDataset data, int[] part) {
    return (int) Arrays.stream(part).map(data::classOf).distinct().count();
  }

  /** Largest share of a single class within a part, averaged over parts: 0.1 is uniform, 1 is one class. */
  static double meanDominantShare(ImageDataset data, List<int[]> parts) {
    double sum = 0;
    for (int[] part : parts) {
      int[] counts = new int[10];
      for (int index : part) {
        counts[data.classOf(index)]++;
      }
      sum += (double) Arrays.stream(counts).max().orElse(0) / part.length;
    }
    return sum / parts.size();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"iid", "dirichlet:0.5", "dirichlet:0.1", "labels:2", "labels:3"})
  @DisplayName("every scheme splits the set into disjoint parts that together cover it")
  void disjointAndCovering(String scheme) {
    List<int[]> parts = Partitioner.parse(scheme).split(DATA, 5, 42);
    assertThat(parts).hasSize(5);
    assertDisjointAndCovering(parts, DATA.size());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"iid", "dirichlet:0.5", "labels:2"})
  @DisplayName("parties computing their own part from the same seed get the slices of one split; another seed gives another split")
  void sameSeedSameSplit(String scheme) {
    Partitioner partitioner = Partitioner.parse(scheme);
    List<int[]> whole = partitioner.split(DATA, 4, 7);
    for (int i = 0; i < 4; i++) {
      assertThat(Partitioner.parse(scheme).part(DATA, i, 4, 7)).containsExactly(whole.get(i));
    }
    assertThat(partitioner.split(DATA, 4, 8).get(0)).isNotEqualTo(whole.get(0));
  }

  @Nested
  @DisplayName("iid")
  class Iid {
    @Test
    @DisplayName("gives near-equal parts with every label near its global share")
    void balancedParts() {
      List<int[]> parts = new IidPartitioner().split(DATA, 3, 1);
      for (int[] part : parts) {
        assertThat(part.length).isBetween(1999, 2001);
        assertThat(distinctLabels(DATA, part)).isEqualTo(10);
      }
      assertThat(meanDominantShare(DATA, parts)).isLessThan(0.13);
    }
  }

  @Nested
  @DisplayName("dirichlet")
  class Dirichlet {
    @Test
    @DisplayName("skew grows measurably as alpha shrinks")
    void skewFollowsAlpha() {
      double nearIid = meanDominantShare(DATA, new DirichletPartitioner(100).split(DATA, 5, 3));
      double moderate = meanDominantShare(DATA, new DirichletPartitioner(0.5).split(DATA, 5, 3));
      double extreme = meanDominantShare(DATA, new DirichletPartitioner(0.05).split(DATA, 5, 3));
      assertThat(nearIid).isLessThan(0.15);
      assertThat(moderate).isGreaterThan(nearIid + 0.1);
      assertThat(extreme).isGreaterThan(moderate);
      assertThat(extreme).isGreaterThan(0.5);
    }

    @Test
    @DisplayName("gives every party at least a minimum number of samples")
    void minimumSize() {
      for (long seed = 0; seed < 20; seed++) {
        for (int[] part : new DirichletPartitioner(0.1).split(DATA, 10, seed)) {
          assertThat(part.length).isGreaterThanOrEqualTo(10);
        }
      }
    }

    @Test
    @DisplayName("caps parties as NIID-Bench does: none passes an equal share by more than the one class it was dealt last")
    void cappedAtAnEqualShare() {
      // 10 classes of 600: the cap is 600 samples, so a party ends below 600 + 600
      int largest = 0;
      for (long seed = 0; seed < 20; seed++) {
        for (int[] part : new DirichletPartitioner(0.1).split(DATA, 10, seed)) {
          largest = Math.max(largest, part.length);
          assertThat(part.length).isLessThan(1200);
        }
      }
      assertThat(largest).as("the cap binds at alpha 0.1").isGreaterThan(600);
    }

    @Test
    @DisplayName("a party at or over the cap gets no share of the next class; the others' shares are renormalised")
    void capShares() {
      List<List<Integer>> assigned = List.of(List.of(1, 2, 3), List.of(4), List.of());
      assertThat(DirichletPartitioner.capped(new double[] {0.5, 0.25, 0.25}, assigned, 3))
          .containsExactly(0.0, 0.5, 0.5);
      assertThat(DirichletPartitioner.capped(new double[] {0.5, 0.25, 0.25}, assigned, 10))
          .containsExactly(0.5, 0.25, 0.25);
      List<List<Integer>> full = List.of(List.of(1), List.of(2), List.of(3));
      assertThat(DirichletPartitioner.capped(new double[] {0.5, 0.25, 0.25}, full, 1))
          .as("every party at the cap: the draw as it was").containsExactly(0.5, 0.25, 0.25);
    }

    @Test
    @DisplayName("Gamma draws have the mean of their shape, including shapes below 1")
    void gammaMean() {
      Random random = new Random(5);
      for (double shape : new double[] {0.3, 1, 4}) {
        double sum = 0;
        int n = 20000;
        for (int i = 0; i < n; i++) {
          sum += DirichletPartitioner.Gamma.sample(shape, random);
        }
        assertThat(sum / n).isCloseTo(shape, org.assertj.core.data.Percentage.withPercentage(5));
      }
    }
  }

  @Nested
  @DisplayName("labels:K")
  class Labels {
    @ParameterizedTest(name = "K={0}")
    @ValueSource(ints = {1, 2, 3})
    @DisplayName("each party holds exactly K label classes")
    void exactlyKClasses(int k) {
      List<int[]> parts = new LabelsPartitioner(k).split(DATA, 10, 11);
      for (int[] part : parts) {
        assertThat(distinctLabels(DATA, part)).isEqualTo(k);
      }
      assertDisjointAndCovering(parts, DATA.size());
    }

    @Test
    @DisplayName("K above the class count is refused")
    void tooManyClasses() {
      assertThatThrownBy(() -> new LabelsPartitioner(11).split(DATA, 2, 0))
          .hasMessageContaining("more classes");
    }
  }

  @Nested
  @DisplayName("parsing")
  class Parsing {
    @Test
    @DisplayName("accepts the three schemes with their parameters")
    void accepts() {
      assertThat(Partitioner.parse("iid")).isInstanceOf(IidPartitioner.class);
      assertThat(((DirichletPartitioner) Partitioner.parse("dirichlet:0.5")).alpha()).isEqualTo(0.5);
      assertThat(((LabelsPartitioner) Partitioner.parse("LABELS:2")).labelsPerParty()).isEqualTo(2);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"", "random", "dirichlet", "dirichlet:x", "dirichlet:0", "dirichlet:-1", "labels:0", "labels:two"})
    @DisplayName("refuses anything else with a message listing the accepted forms")
    void refuses(String spec) {
      assertThatThrownBy(() -> Partitioner.parse(spec))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("iid, dirichlet:ALPHA");
    }

    @Test
    @DisplayName("an index outside [0, count) is refused naming the flag")
    void badIndex() {
      assertThatThrownBy(() -> new IidPartitioner().part(DATA, 3, 3, 0)).hasMessageContaining("--partition-index");
      assertThatThrownBy(() -> new IidPartitioner().part(DATA, 0, 0, 0)).hasMessageContaining("--partition-count");
    }
  }
}
