package dev.flotilla.party.data;

import java.util.Random;

final class Shuffles {
  private Shuffles() {}

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  static int[] permutation(int n, Random random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    shuffle(order, random);
    return order;
  }

  static void shuffle(int[] values, Random random) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }

  /** The indices of every label, in index order. */
  static int[][] indicesByLabel(Samples data, int classes) {
    int[] counts = new int[classes];
    for (int i = 0; i < data.size(); i++) {
      counts[data.classOf(i)]++;
    }
    int[][] byLabel = new int[classes][];
    for (int c = 0; c < classes; c++) {
      byLabel[c] = new int[counts[c]];
    }
    int[] filled = new int[classes];
    for (int i = 0; i < data.size(); i++) {
      int c = data.classOf(i);
      byLabel[c][filled[c]++] = i;
    }
    return byLabel;
  }
}
