package dev.flotilla.server.aggregation;

/**
 * The one inner loop of every streaming fold (and of its undo): {@code target += weight * src}.
 * Kept alone so a faster kernel (e.g. the Vector API) can replace it in one place; any replacement
 * must compute each element as the double product {@code weight * (double) src[i]} added once, so
 * that folding with {@code -weight} takes back exactly the product that was added.
 */
final class FoldKernel {

  private FoldKernel() {}

  static void addScaled(double[] target, int targetAt, float[] src, int srcAt, int count, double weight) {
    for (int i = 0; i < count; i++) {
      target[targetAt + i] += weight * src[srcAt + i];
    }
  }
}
