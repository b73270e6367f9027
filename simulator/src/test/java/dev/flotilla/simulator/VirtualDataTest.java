package dev.flotilla.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import dev.flotilla.party.data.ImageDataset;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class VirtualDataTest {

  /** {@code samples} 2x2 images, 10 classes in equal numbers, labels in a scrambled order; pixel 0 holds the index. */
  static ImageDataset images(int samples, long seed) {
    byte[] labels = new byte[samples];
    byte[] pixels = new byte[samples * 4];
    for (int i = 0; i < samples; i++) {
      labels[i] = (byte) (i % 10);
    }
    Random random = new Random(seed);
    for (int i = samples - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      byte t = labels[i];
      labels[i] = labels[j];
      labels[j] = t;
    }
    for (int i = 0; i < samples; i++) {
      pixels[i * 4] = (byte) i;
    }
    return new ImageDataset(pixels, labels, 2, 2);
  }

  private static final ImageDataset TRAIN = images(3000, 1);
  private static final ImageDataset TEST = images(500, 2);

  @Test
  @DisplayName("iid: each virtual party gets an equal slice with every class in it, and the slices hold the training set once")
  void iid() {
    VirtualData data = VirtualData.split(TRAIN, TEST, "iid", 6, 7);
    int[][] counts = data.classCounts();
    assertThat(counts).hasNumberOfRows(6);
    Set<Integer> seen = new HashSet<>();
    for (int p = 0; p < 6; p++) {
      assertThat(data.partyTrain().get(p).size()).isEqualTo(500);
      Arrays.stream(counts[p]).forEach(c -> assertThat(c).isBetween(20, 80));
      Arrays.stream(data.parts().get(p)).forEach(i -> assertThat(seen.add(i)).isTrue());
    }
    assertThat(seen).hasSize(3000);
  }

  @Test
  @DisplayName("labels:2: each virtual party holds exactly two classes, and its slice is the samples of those classes")
  void labelsPerParty() {
    VirtualData data = VirtualData.split(TRAIN, TEST, "labels:2", 5, 3);
    for (int p = 0; p < 5; p++) {
      int[] counts = data.classCounts()[p];
      assertThat(Arrays.stream(counts).filter(c -> c > 0).count()).as("party %d: %s", p, Arrays.toString(counts))
          .isEqualTo(2);
      int[] part = data.parts().get(p);
      for (int i = 0; i < part.length; i++) {
        assertThat(data.partyTrain().get(p).classOf(i)).isEqualTo(TRAIN.classOf(part[i]));
      }
    }
  }

  @Test
  @DisplayName("dirichlet: the same seed gives the same split, another seed another one; no party passes an equal share by more than a class")
  void dirichletDeterministicAndCapped() {
    VirtualData a = VirtualData.split(TRAIN, TEST, "dirichlet:0.1", 10, 5);
    VirtualData b = VirtualData.split(TRAIN, TEST, "dirichlet:0.1", 10, 5);
    VirtualData c = VirtualData.split(TRAIN, TEST, "dirichlet:0.1", 10, 6);
    for (int p = 0; p < 10; p++) {
      assertThat(a.parts().get(p)).isEqualTo(b.parts().get(p));
      // 10 classes of 300: the cap is 300, so a part stays below 300 + 300
      assertThat(a.parts().get(p).length).isLessThan(600);
    }
    assertThat(java.util.stream.IntStream.range(0, 10).anyMatch(p -> !Arrays.equals(a.parts().get(p), c.parts().get(p))))
        .isTrue();
  }

  @Test
  @DisplayName("the test shards of the final evaluations are disjoint and cover the test set")
  void testShards() {
    VirtualData data = VirtualData.split(TRAIN, TEST, "iid", 3, 1);
    Set<Integer> indices = new HashSet<>();
    for (int p = 0; p < 3; p++) {
      int[] shard = dev.flotilla.party.virtual.TestShards.of(500, p, 3);
      assertThat(data.partyTest().get(p).size()).isEqualTo(shard.length);
      Arrays.stream(shard).forEach(i -> assertThat(indices.add(i)).isTrue());
    }
    assertThat(indices).hasSize(500).allSatisfy(i -> assertThat(i).isBetween(0, 499));
    assertThat(data.partyTest().stream().mapToInt(ImageDataset::size).sum()).isEqualTo(500);
    assertThat(dev.flotilla.party.virtual.TestShards.of(2, 3, 4)).isEmpty();
    assertThat(dev.flotilla.party.virtual.TestShards.of(10, 1, 4)).containsExactly(1, 5, 9);
  }

  @Test
  @DisplayName("the split as JSON names the scheme and seed, and per party its samples, class counts and indices")
  void json() {
    VirtualData data = VirtualData.split(TRAIN, TEST, "labels:1", 10, 9);
    JsonObject json = data.toJson();
    assertThat(json.get("scheme").getAsString()).isEqualTo("labels:1");
    assertThat(json.get("seed").getAsLong()).isEqualTo(9);
    assertThat(json.getAsJsonArray("parties")).hasSize(10);
    JsonObject first = json.getAsJsonArray("parties").get(0).getAsJsonObject();
    assertThat(first.get("party").getAsString()).isEqualTo("party-1");
    assertThat(first.get("samples").getAsInt()).isEqualTo(300).isEqualTo(first.getAsJsonArray("indices").size());
    int total = 0;
    for (var c : first.getAsJsonArray("class_counts")) {
      total += c.getAsInt();
    }
    assertThat(total).isEqualTo(300);
  }

  @Test
  @DisplayName("a split that leaves a virtual party nothing (more parties than samples) is refused naming the party")
  void emptyPart() {
    assertThatThrownBy(() -> VirtualData.split(images(5, 1), TEST, "iid", 8, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaves party");
  }

  @Test
  @DisplayName("with a hold-out each party keeps 10 % of its part (at most 1000) out of training, drawn by the seed: "
      + "held-out and training samples are disjoint and together the part, held-out pixels those of the training set")
  void holdOut() {
    VirtualData data = VirtualData.split(TRAIN, TEST, "dirichlet:0.5", 7, 3, true);
    for (int p = 0; p < 7; p++) {
      int[] part = data.parts().get(p);
      int[] held = data.heldOut().get(p);
      assertThat(held).hasSize(part.length / 10);
      assertThat(data.partyHeldOut().get(p).size()).isEqualTo(held.length);
      assertThat(data.partyTrain().get(p).size()).isEqualTo(part.length - held.length);
      Set<Integer> partSet = new HashSet<>();
      Arrays.stream(part).forEach(partSet::add);
      Set<Integer> seen = new HashSet<>();
      for (int i = 0; i < held.length; i++) {
        assertThat(partSet).contains(held[i]);
        assertThat(seen.add(held[i])).isTrue();
        // the held-out image is the training set's image at that index (pixel 0 holds the index's low byte)
        assertThat(data.partyHeldOut().get(p).imageBytes(i)[0]).isEqualTo((byte) held[i]);
      }
      // training and held-out samples together carry the part's classes exactly
      int[] together = data.partyTrain().get(p).labelCounts();
      int[] heldCounts = data.partyHeldOut().get(p).labelCounts();
      for (int c = 0; c < together.length; c++) {
        together[c] += heldCounts[c];
      }
      assertThat(together).containsExactly(data.classCounts()[p]);
    }
    // drawn by the seed: the same seed holds out the same samples, another seed others
    assertThat(VirtualData.split(TRAIN, TEST, "dirichlet:0.5", 7, 3, true).heldOut().get(0))
        .containsExactly(data.heldOut().get(0));
    assertThat(VirtualData.split(TRAIN, TEST, "iid", 7, 4, true).heldOut().get(0))
        .isNotEqualTo(VirtualData.split(TRAIN, TEST, "iid", 7, 5, true).heldOut().get(0));
    // bounded, and none without a hold-out
    assertThat(VirtualData.heldOutCount(60_000)).isEqualTo(1000);
    assertThat(VirtualData.heldOutCount(9)).isZero();
    assertThat(VirtualData.split(TRAIN, TEST, "iid", 7, 3).heldOut()).allSatisfy(h -> assertThat(h).isEmpty());
    assertThat(data.toJson().getAsJsonArray("parties").get(0).getAsJsonObject().getAsJsonArray("held_out_indices"))
        .hasSize(data.heldOut().get(0).length);
  }
}
