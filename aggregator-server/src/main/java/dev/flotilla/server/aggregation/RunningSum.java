package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.FloatKernels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The sample-weighted sum of one attempt's updates in double precision, folded chunk by chunk as
 * they arrive: memory is one model of doubles however many parties submit. Thread-safe: each
 * stripe of {@value #STRIPE_VALUES} values of a tensor has its own lock, so parties uploading
 * different parts of the model fold in parallel. The inner loop is {@link FloatKernels#addScaled},
 * which adds the double product {@code weight * value} once per element: folding the same values
 * with {@code -weight} takes back exactly the products that were added (see {@link StreamingRound}).
 *
 * <p>One sum serves every attempt of a job ({@link MeanStrategy#takeSum}): {@link #takeMean} zeroes
 * what it reads and {@link #restart} zeroes the rest, so a sum of several GiB is allocated once per
 * process. A new {@code double[]} of 4 GiB per round needs ~1025 contiguous free G1 regions at every
 * round's start, which the documented heap (8 B/value + 384 MiB) did not always have.
 */
final class RunningSum {

  static final int STRIPE_SHIFT = 16;
  static final int STRIPE_VALUES = 1 << STRIPE_SHIFT;

  private final double[][] sum;
  private final Object[][] stripeLocks;
  private double totalWeight;
  private int committed;

  RunningSum(List<TensorSpec> specs) {
    sum = new double[specs.size()][];
    stripeLocks = new Object[specs.size()][];
    for (int t = 0; t < specs.size(); t++) {
      int n = specs.get(t).numElements();
      sum[t] = new double[n];
      stripeLocks[t] = new Object[(int) (((long) n + STRIPE_VALUES - 1) >> STRIPE_SHIFT)];
      for (int s = 0; s < stripeLocks[t].length; s++) {
        stripeLocks[t][s] = new Object();
      }
    }
  }

  /** Adds {@code weight * src[at..at+count)} to tensor {@code tensor} from element {@code offset}. */
  void fold(int tensor, int offset, float[] src, int at, int count, double weight) {
    double[] target = sum[tensor];
    int done = 0;
    while (done < count) {
      int position = offset + done;
      int stripe = position >>> STRIPE_SHIFT;
      // long arithmetic: the end of the last stripe of a tensor near 2^31 values does not fit an int
      int piece = (int) Math.min(count - done, ((long) (stripe + 1) << STRIPE_SHIFT) - position);
      synchronized (stripeLocks[tensor][stripe]) {
        FloatKernels.addScaled(target, position, src, at + done, piece, weight);
      }
      done += piece;
    }
  }

  /**
   * Adds {@code weight * x} for the little-endian float32 values {@code x} of {@code values} (from its
   * position, which does not move) to tensor {@code tensor} from element {@code offset}, in order, up
   * to the first value whose magnitude exceeds {@code limit} or that is NaN or infinite: returns its
   * index (nothing from it on is added), or -1 after adding all ({@link FloatKernels#addScaledWithin}).
   */
  int foldWithin(int tensor, int offset, ByteBuffer values, int count, double weight, float limit) {
    double[] target = sum[tensor];
    int base = values.position();
    int done = 0;
    while (done < count) {
      int position = offset + done;
      int stripe = position >>> STRIPE_SHIFT;
      int piece = (int) Math.min(count - done, ((long) (stripe + 1) << STRIPE_SHIFT) - position);
      ByteBuffer part = done == 0 ? values
          : values.slice(base + done * Float.BYTES, piece * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      int stop;
      synchronized (stripeLocks[tensor][stripe]) {
        stop = FloatKernels.addScaledWithin(target, position, part, piece, weight, limit);
      }
      if (stop >= 0) {
        return done + stop;
      }
      done += piece;
    }
    return -1;
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
   * offset} into {@code dst} and zeroes those sums (each stripe under its lock, so what other threads
   * folded is seen): a finish that reads every value once leaves the sum ready for the next attempt.
   */
  void takeMean(int tensor, int offset, float[] dst, int count) {
    double total = totalWeight();
    if (!(total > 0)) {
      throw new IllegalStateException("no update was committed");
    }
    double[] s = sum[tensor];
    int done = 0;
    while (done < count) {
      int position = offset + done;
      int stripe = position >>> STRIPE_SHIFT;
      int piece = (int) Math.min(count - done, ((long) (stripe + 1) << STRIPE_SHIFT) - position);
      synchronized (stripeLocks[tensor][stripe]) {
        FloatKernels.takeMean(s, position, dst, done, piece, total);
      }
      done += piece;
    }
  }

  /** Whether this sum has the layout {@code other} (same tensors, same element counts). */
  boolean fits(List<TensorSpec> other) {
    if (other.size() != sum.length) {
      return false;
    }
    for (int t = 0; t < sum.length; t++) {
      if (other.get(t).numElements() != sum[t].length) {
        return false;
      }
    }
    return true;
  }

  /**
   * Makes the sum empty for the next attempt: no weight, no update, and, unless {@code
   * valuesAlreadyZero} (every value was taken by {@link #takeMean}), every value zeroed.
   */
  void restart(boolean valuesAlreadyZero) {
    if (!valuesAlreadyZero) {
      for (int t = 0; t < sum.length; t++) {
        for (int stripe = 0; stripe < stripeLocks[t].length; stripe++) {
          int from = stripe << STRIPE_SHIFT;
          int to = (int) Math.min(sum[t].length, ((long) stripe + 1) << STRIPE_SHIFT);
          synchronized (stripeLocks[t][stripe]) {
            Arrays.fill(sum[t], from, to, 0);
          }
        }
      }
    }
    synchronized (this) {
      totalWeight = 0;
      committed = 0;
    }
  }
}
