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
 * the central evaluation, and disjoint shards of it for the parties' final evaluations. With a hold-out
 * (federated evaluation, {@code --evaluate-fraction}), each party keeps a bounded share of its slice out
 * of training as its local held-out split, drawn from its own distribution (the partition has no
 * per-party test split).
 *
 * @param parts per party, the indices into the training set the partition dealt it (sorted)
 * @param heldOut per party, the indices of its part it holds out of training (sorted; empty without a hold-out)
 */
record VirtualData(String scheme, long seed, ImageDataset train, ImageDataset test, List<int[]> parts,
    List<int[]> heldOut, List<ImageDataset> partyTrain, List<ImageDataset> partyTest,
    List<ImageDataset> partyHeldOut) {

  /** A party holds out this share of its part, at most {@link #HELD_OUT_MAX} samples. */
  static final int HELD_OUT_PERCENT = 10;
  static final int HELD_OUT_MAX = 1000;

  static VirtualData split(ImageDataset train, ImageDataset test, String scheme, int parties, long seed) {
    return split(train, test, scheme, parties, seed, false);
  }

  /**
   * Splits {@code train} among {@code parties} as {@code scheme} says (iid, dirichlet:A, labels:K); with
   * {@code holdOut}, each party keeps {@link #heldOutCount} samples of its part, drawn by the seed, out of training.
   *
   * @throws IllegalArgumentException for an unknown scheme, or a split that leaves a party nothing
   */
  static VirtualData split(ImageDataset train, ImageDataset test, String scheme, int parties, long seed,
      boolean holdOut) {
    Partitioner partitioner = Partitioner.parse(scheme);
    List<int[]> parts = partitioner.split(train, parties, seed);
    List<ImageDataset> partyTrain = new ArrayList<>(parties);
    List<ImageDataset> partyTest = new ArrayList<>(parties);
    List<int[]> heldOut = new ArrayList<>(parties);
    List<ImageDataset> partyHeldOut = new ArrayList<>(parties);
    for (int p = 0; p < parties; p++) {
      if (parts.get(p).length == 0) {
        throw new IllegalArgumentException("partition " + partitioner.describe() + " leaves party " + (p + 1) + " of "
            + parties + " no training sample; use fewer parties or another partition");
      }
      int[][] kept = holdOut ? holdOut(parts.get(p), seed, p) : new int[][] {parts.get(p), new int[0]};
      partyTrain.add(train.subset(kept[0]));
      heldOut.add(kept[1]);
      partyHeldOut.add(train.subset(kept[1]));
      partyTest.add(test.subset(dev.flotilla.party.virtual.TestShards.of(test.size(), p, parties)));
    }
    return new VirtualData(partitioner.describe(), seed, train, test, List.copyOf(parts), List.copyOf(heldOut),
        partyTrain, partyTest, partyHeldOut);
  }

  /** How many of a part's samples its party holds out: {@link #HELD_OUT_PERCENT} %, at most {@link #HELD_OUT_MAX}. */
  static int heldOutCount(int partSize) {
    return Math.min(HELD_OUT_MAX, partSize * HELD_OUT_PERCENT / 100);
  }

  /** The part split in two, {kept for training, held out}, both sorted; the held-out ones drawn from seed and party. */
  private static int[][] holdOut(int[] part, long seed, int party) {
    List<Integer> order = new ArrayList<>(part.length);
    for (int i : part) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, new java.util.Random(seed * 0x2545F4914F6CDD1DL + party));
    int count = heldOutCount(part.length);
    int[] held = order.subList(0, count).stream().mapToInt(Integer::intValue).sorted().toArray();
    int[] kept = order.subList(count, order.size()).stream().mapToInt(Integer::intValue).sorted().toArray();
    return new int[][] {kept, held};
  }

  /** Per party, how many samples of each class the partition dealt it (held-out ones included). */
  int[][] classCounts() {
    int[][] counts = new int[parts.size()][train.classCount()];
    for (int p = 0; p < counts.length; p++) {
      for (int i : parts.get(p)) {
        counts[p][train.classOf(i)]++;
      }
    }
    return counts;
  }

  /**
   * The split as JSON, enough to reproduce or compare it elsewhere: the scheme, the seed, and per
   * party its sample count, class counts and the training-set indices it holds (and, with a hold-out, the
   * indices it held out of training).
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
      if (heldOut.get(p).length > 0) {
        JsonArray held = new JsonArray();
        for (int i : heldOut.get(p)) {
          held.add(i);
        }
        party.add("held_out_indices", held);
      }
      list.add(party);
    }
    o.add("parties", list);
    return o;
  }
}
