package dev.flotilla.simulator;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.party.data.Partitioner;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulation's data: the training set dealt out once by the partition (each virtual party gets
 * its slice; the slices are disjoint, so together they hold the set once), the whole test set for
 * the central evaluation, and disjoint shards of it for the parties' final evaluations.
 *
 * @param parts per party, the indices into the training set it holds (sorted)
 */
record VirtualData(String scheme, long seed, ImageDataset train, ImageDataset test, List<int[]> parts,
    List<ImageDataset> partyTrain, List<ImageDataset> partyTest) {

  /**
   * Splits {@code train} among {@code parties} as {@code scheme} says (iid, dirichlet:A, labels:K).
   *
   * @throws IllegalArgumentException for an unknown scheme, or a split that leaves a party nothing
   */
  static VirtualData split(ImageDataset train, ImageDataset test, String scheme, int parties, long seed) {
    Partitioner partitioner = Partitioner.parse(scheme);
    List<int[]> parts = partitioner.split(train, parties, seed);
    List<ImageDataset> partyTrain = new ArrayList<>(parties);
    List<ImageDataset> partyTest = new ArrayList<>(parties);
    for (int p = 0; p < parties; p++) {
      if (parts.get(p).length == 0) {
        throw new IllegalArgumentException("partition " + partitioner.describe() + " leaves party " + (p + 1) + " of "
            + parties + " no training sample; use fewer parties or another partition");
      }
      partyTrain.add(train.subset(parts.get(p)));
      partyTest.add(test.subset(shard(test.size(), p, parties)));
    }
    return new VirtualData(partitioner.describe(), seed, train, test, List.copyOf(parts), partyTrain, partyTest);
  }

  /** Test samples p, p + n, p + 2n, ...: disjoint shards covering the set, empty for p >= size. */
  static int[] shard(int size, int p, int n) {
    int count = p < size ? (size - p + n - 1) / n : 0;
    int[] indices = new int[count];
    for (int i = 0; i < count; i++) {
      indices[i] = p + i * n;
    }
    return indices;
  }

  /** Per party, how many training samples of each class it holds. */
  int[][] classCounts() {
    int[][] counts = new int[partyTrain.size()][];
    for (int p = 0; p < counts.length; p++) {
      counts[p] = partyTrain.get(p).labelCounts();
    }
    return counts;
  }

  /**
   * The split as JSON, enough to reproduce or compare it elsewhere: the scheme, the seed, and per
   * party its sample count, class counts and the training-set indices it holds.
   */
  JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("scheme", scheme);
    o.addProperty("seed", seed);
    o.addProperty("training_samples", train.size());
    JsonArray list = new JsonArray();
    int[][] counts = classCounts();
    for (int p = 0; p < parts.size(); p++) {
      JsonObject party = new JsonObject();
      party.addProperty("party", VirtualParties.name(p));
      party.addProperty("samples", parts.get(p).length);
      JsonArray perClass = new JsonArray();
      for (int c : counts[p]) {
        perClass.add(c);
      }
      party.add("class_counts", perClass);
      JsonArray indices = new JsonArray();
      for (int i : parts.get(p)) {
        indices.add(i);
      }
      party.add("indices", indices);
      list.add(party);
    }
    o.add("parties", list);
    return o;
  }
}
