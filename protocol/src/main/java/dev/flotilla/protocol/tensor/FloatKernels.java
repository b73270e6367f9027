package dev.flotilla.protocol.tensor;

import java.nio.FloatBuffer;

/**
 * The inner loops of receiving and aggregating float32 tensors, in one place: the server's receive
 * path ({@link TensorStreamDecoder#acceptFinite}) and every streaming strategy run these, and the
 * aggregation benchmark measures them. They work on blocks of at most {@link #BLOCK_VALUES} values,
 * so a block that was just checked is still in the cache when it is folded.
 *
 * <p>Plain loops that C2 vectorises. The Vector API (jdk.incubator.vector) was measured on Java 17
 * and is slower here: its float-to-double conversion ran at a third of the plain loop's speed.
 */
public final class FloatKernels {

  /**
   * Values per block: 16384 float32 = 64 KiB, well inside the L2 cache. The receive path and the
   * fold kernel ran at the same speed with 1024, 4096 and 16384 (bench (b)); the streaming
   * strategies' sinks pay a fixed cost per block (a journal write, a lock), so larger blocks won.
   */
  public static final int BLOCK_VALUES = 16384;

  private static final int EXPONENT = 0x7f800000;
  private static final int EXPONENT_LSB = 0x00800000;

  /** Per-thread block buffer for folding from a buffer that has no accessible array. */
  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[BLOCK_VALUES]);

  private FloatKernels() {}

  /**
   * Index (from {@code from}) of the first NaN or infinity among the float32 bit patterns
   * {@code bits[from..from+count)}, or -1. The scan is branch-free (an OR over the whole range, which
   * C2 vectorises); only a range that holds a bad value is walked again to find it.
   */
  public static int firstNonFinite(int[] bits, int from, int count) {
    int any = 0;
    for (int i = from; i < from + count; i++) {
      // exponent all ones (NaN or infinity) + 1 in the exponent's lowest bit = bit 31 set; any other exponent stays below it
      any |= (bits[i] & EXPONENT) + EXPONENT_LSB;
    }
    if (any >= 0) {
      return -1;
    }
    for (int i = from; i < from + count; i++) {
      if ((bits[i] & EXPONENT) == EXPONENT) {
        return i - from;
      }
    }
    throw new AssertionError("unreachable: a non-finite value was seen");
  }

  /** {@code sum[at + i] += weight * values[from + i]} for i in [0, count). */
  public static void addScaled(double[] sum, int at, float[] values, int from, int count, double weight) {
    for (int i = 0; i < count; i++) {
      sum[at + i] += weight * values[from + i];
    }
  }

  /**
   * {@code sum[at + i] += weight * values.get(values.position() + i)} for i in [0, count); the
   * buffer's position does not move. A buffer over an array is folded in place; any other (a view of
   * a direct or byte buffer) is copied block by block into a per-thread array first, since a loop
   * over buffer accessors does not vectorise.
   */
  public static void addScaled(double[] sum, int at, FloatBuffer values, int count, double weight) {
    int position = values.position();
    if (values.hasArray()) {
      addScaled(sum, at, values.array(), values.arrayOffset() + position, count, weight);
      return;
    }
    float[] block = SCRATCH.get();
    for (int done = 0; done < count; ) {
      int n = Math.min(BLOCK_VALUES, count - done);
      values.get(position + done, block, 0, n);
      addScaled(sum, at + done, block, 0, n, weight);
      done += n;
    }
  }
}
