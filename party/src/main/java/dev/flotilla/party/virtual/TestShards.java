package dev.flotilla.party.virtual;

/** How N virtual parties share one test set for their evaluations: disjoint shards that together cover it. */
public final class TestShards {

  private TestShards() {}

  /** Test samples p, p + n, p + 2n, ...: disjoint shards covering the set, empty for p >= size. */
  public static int[] of(int size, int p, int n) {
    int count = p < size ? (size - p + n - 1) / n : 0;
    int[] indices = new int[count];
    for (int i = 0; i < count; i++) {
      indices[i] = p + i * n;
    }
    return indices;
  }
}
