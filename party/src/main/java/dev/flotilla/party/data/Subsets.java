package dev.flotilla.party.data;

import java.util.Arrays;
import java.util.Random;

/** Seeded index sets: the held-out test split and the samples kept under a cap, the same on every party. */
public final class Subsets {
  private Subsets() {}

  /** A seeded split of indices 0..n-1 into [training, held-out], each sorted; round(n x fraction) are held out. */
  public static int[][] heldOut(int n, double fraction, long seed) {
    // a stream of its own, so the held-out split does not repeat the partition's draws
    int[] order = Shuffles.permutation(n, new Random(seed ^ 0x5DEECE66DL));
    int held = (int) Math.round(n * fraction);
    int[] test = Arrays.copyOfRange(order, 0, held);
    int[] train = Arrays.copyOfRange(order, held, n);
    Arrays.sort(test);
    Arrays.sort(train);
    return new int[][] {train, test};
  }

  /** {@code count} of the indices 0..n-1 drawn without replacement, sorted. */
  public static int[] sample(int n, int count, long seed) {
    int[] chosen = Arrays.copyOf(Shuffles.permutation(n, new Random(seed)), Math.min(n, count));
    Arrays.sort(chosen);
    return chosen;
  }
}
