package dev.flotilla.server.aggregate;

import dev.flotilla.protocol.model.TensorSpec;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * The running sample-weighted sum of one round's updates: each chunk is folded in as it arrives
 * and dropped, so memory is one model (in double precision) however many parties submit.
 * Thread-safe: parties upload concurrently.
 */
public final class WeightedSum {

  private final double[][] sum;
  private double totalWeight;
  private int contributions;

  public WeightedSum(List<TensorSpec> specs) {
    sum = new double[specs.size()][];
    for (int t = 0; t < specs.size(); t++) {
      sum[t] = new double[specs.get(t).numElements()];
    }
  }

  /** Per-thread copy buffer: values are copied out of the wire buffer in bulk, outside the lock. */
  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

  /** Adds weight * values[0..count) to tensor t from offset; reads values from its position. */
  public void fold(int tensor, int offset, FloatBuffer values, int count, double weight) {
    float[] scratch = SCRATCH.get();
    if (scratch.length < count) {
      scratch = new float[Math.max(count, 1 << 18)];
      SCRATCH.set(scratch);
    }
    values.get(values.position(), scratch, 0, count);
    synchronized (this) {
      double[] target = sum[tensor];
      for (int i = 0; i < count; i++) {
        target[offset + i] += weight * scratch[i];
      }
    }
  }

  /** Counts a fully folded update's weight into the denominator. */
  public synchronized void commit(double weight) {
    totalWeight += weight;
    contributions++;
  }

  public synchronized int contributions() {
    return contributions;
  }

  public synchronized double totalWeight() {
    return totalWeight;
  }

  /** sum / total weight, as float32. */
  public synchronized float[][] average() {
    if (totalWeight <= 0) {
      throw new IllegalStateException("no update was committed");
    }
    float[][] avg = new float[sum.length][];
    for (int t = 0; t < sum.length; t++) {
      double[] s = sum[t];
      float[] a = new float[s.length];
      for (int i = 0; i < s.length; i++) {
        a[i] = (float) (s[i] / totalWeight);
      }
      avg[t] = a;
    }
    return avg;
  }
}
