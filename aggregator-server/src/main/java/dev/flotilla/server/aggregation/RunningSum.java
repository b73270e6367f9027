package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.FloatKernels;
import java.util.List;

/**
 * The sample-weighted sum of one attempt's updates in double precision, folded chunk by chunk as
 * they arrive: memory is one model of doubles however many parties submit. Thread-safe: each
 * stripe of {@value #STRIPE_VALUES} values of a tensor is an array of its own and its own lock, so
 * parties uploading different parts of the model fold in parallel, and a multi-GiB tensor never needs
 * one contiguous multi-GiB array (the heap of a 2 GiB model's job has room for the sum, not always for
 * a contiguous 4 GiB of it: ModelAboveTwoGiBIT saw an OutOfMemoryError at a round's start). The inner loop is {@link FloatKernels#addScaled},
 * which adds the double product {@code weight * value} once per element: folding the same values
 * with {@code -weight} takes back exactly the products that were added (see {@link StreamingRound}).
 */
final class RunningSum {

  static final int STRIPE_SHIFT = 16;
  static final int STRIPE_VALUES = 1 << STRIPE_SHIFT;

  /** sum[tensor][stripe]: each stripe's array is also the lock of its values. */
  private final double[][][] sum;
  private double totalWeight;
  private int committed;

  RunningSum(List<TensorSpec> specs) {
    sum = new double[specs.size()][][];
    for (int t = 0; t < specs.size(); t++) {
      long n = specs.get(t).numElements();
      sum[t] = new double[(int) ((n + STRIPE_VALUES - 1) >> STRIPE_SHIFT)][];
      for (int s = 0; s < sum[t].length; s++) {
        sum[t][s] = new double[(int) Math.min(STRIPE_VALUES, n - ((long) s << STRIPE_SHIFT))];
      }
    }
  }

  /** Adds {@code weight * src[at..at+count)} to tensor {@code tensor} from element {@code offset}. */
  void fold(int tensor, int offset, float[] src, int at, int count, double weight) {
    int done = 0;
    while (done < count) {
      int position = offset + done;
      int stripe = position >>> STRIPE_SHIFT;
      // long arithmetic: the end of the last stripe of a tensor near 2^31 values does not fit an int
      int piece = (int) Math.min(count - done, ((long) (stripe + 1) << STRIPE_SHIFT) - position);
      double[] target = sum[tensor][stripe];
      synchronized (target) {
        FloatKernels.addScaled(target, position & (STRIPE_VALUES - 1), src, at + done, piece, weight);
      }
      done += piece;
    }
  }

  /** Counts a completely folded update's weight into the denominator. */
  synchronized void commit(double weight) {
    totalWeight += weight;
    committed++;
  }

  synchronized int committed() {
    return committed;
  }

  synchronized double totalWeight() {
    return totalWeight;
  }

  /**
   * Writes {@code (float) (sum / total weight)} of {@code count} values of a tensor from {@code
   * offset} into {@code dst} (each stripe read under its lock, so what other threads folded is seen).
   */
  void mean(int tensor, int offset, float[] dst, int count) {
    double total = totalWeight();
    if (!(total > 0)) {
      throw new IllegalStateException("no update was committed");
    }
    int done = 0;
    while (done < count) {
      int position = offset + done;
      int stripe = position >>> STRIPE_SHIFT;
      int piece = (int) Math.min(count - done, ((long) (stripe + 1) << STRIPE_SHIFT) - position);
      double[] s = sum[tensor][stripe];
      int from = position & (STRIPE_VALUES - 1);
      synchronized (s) {
        for (int i = 0; i < piece; i++) {
          dst[done + i] = (float) (s[from + i] / total);
        }
      }
      done += piece;
    }
  }
}
