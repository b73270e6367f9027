package dev.flotilla.protocol.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The inner loops of receiving and aggregating float32 tensors, in one place: the server's receive
 * path ({@link TensorStreamDecoder#acceptFinite}) and every streaming strategy run these, and the
 * aggregation benchmark measures them. They work on blocks of at most {@link #BLOCK_VALUES} values,
 * so a block that was just checked is still in the cache when it is folded.
 *
 * <p>In a JVM started with {@code --add-modules jdk.incubator.vector} (the server's launchers do
 * it: bin/flotilla, the image, the tests' server processes) the fold and the receive path's check
 * run as {@link VectorKernels}: Java 17's C2 does not vectorise the float-to-double widening
 * of the fold; with the Vector API the fold alone ran 2.5-2.8x faster (data in cache) and a FedAvg
 * round's aggregation 1.6-1.7x (BENCHMARKS.md, "Speed (issue 13)", session 5). Elsewhere they are
 * the plain loops below, with the same results bit for bit.
 */
public final class FloatKernels {

  /**
   * Values per block: 16384 float32 = 64 KiB, well inside the L2 cache. The receive path and the
   * fold kernel ran at the same speed with 1024, 4096 and 16384 (bench (b)); the streaming
   * strategies' sinks pay a fixed cost per block (a journal write, a lock), so larger blocks won.
   */
  public static final int BLOCK_VALUES = 16384;

  /** The JVM option that lets these loops use the Vector API; the server's launchers pass it. */
  public static final String VECTOR_API_JVM_OPTION = "--add-modules=jdk.incubator.vector";

  /** Whether the Vector API serves these loops: the JVM was started with {@code --add-modules jdk.incubator.vector}. */
  public static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  private static final int EXPONENT = 0x7f800000;
  private static final int EXPONENT_LSB = 0x00800000;

  /** Per-thread block buffer for folding from a buffer that has no accessible array. */
  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[BLOCK_VALUES]);
  /** Per-thread block of bit patterns for the plain finiteness check of bytes. */
  private static final ThreadLocal<int[]> BITS = ThreadLocal.withInitial(() -> new int[BLOCK_VALUES]);

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

  /** Which loops run, for the server's start-up log line. */
  public static String describe() {
    return VECTOR_API ? VectorKernels.describe()
        : "plain loops (start the JVM with --add-modules jdk.incubator.vector for the Vector API)";
  }

  /**
   * The index of the first NaN or infinity among {@code count} float32 values, little-endian, of
   * {@code src} from its position (which does not move), or -1. With the Vector API it reads the bytes
   * once; the plain check copies them block by block into a per-thread int array first (a loop of
   * getInt over a buffer does not vectorise).
   */
  public static int firstNonFinite(ByteBuffer src, int count) {
    requireLittleEndian(src);
    if (VECTOR_API) {
      return VectorKernels.firstNonFinite(src, count);
    }
    int[] bits = BITS.get();
    int base = src.position();
    for (int done = 0; done < count; ) {
      int n = Math.min(BLOCK_VALUES, count - done);
      src.asIntBuffer().get(done, bits, 0, n);
      int bad = firstNonFinite(bits, 0, n);
      if (bad >= 0) {
        return done + bad;
      }
      done += n;
    }
    return -1;
  }

  /**
   * {@code sum[at + i] += weight * x[i]}, rounded as {@link #addScaled(double[], int, float[], int, int,
   * double)} does, for the little-endian float32 values {@code x} of {@code values} from its position
   * (which does not move), in order, up to the first value whose magnitude exceeds {@code limit} or
   * that is NaN or infinite: returns its index (that value and the rest are not added), or -1 after
   * adding all. The receive path's single pass: decoding, the finiteness check and the fold in one
   * loop over the bytes (with the Vector API).
   */
  public static int addScaledWithin(double[] sum, int at, ByteBuffer values, int count, double weight, float limit) {
    requireLittleEndian(values);
    if (!(limit >= 0) || Float.isInfinite(limit)) {
      throw new IllegalArgumentException("limit " + limit + " is not a finite magnitude");
    }
    if (VECTOR_API) {
      return VectorKernels.addScaledWithin(sum, at, values, count, weight, limit);
    }
    int base = values.position();
    for (int i = 0; i < count; i++) {
      float x = values.getFloat(base + i * Float.BYTES);
      if (!(Math.abs(x) <= limit)) {
        return i;
      }
      sum[at + i] += weight * x;
    }
    return -1;
  }

  private static void requireLittleEndian(ByteBuffer values) {
    if (values.order() != ByteOrder.LITTLE_ENDIAN) {
      throw new IllegalArgumentException("float32 values on the wire are little-endian; the buffer is " + values.order());
    }
  }

  /** {@code sum[at + i] += weight * values[from + i]} for i in [0, count), in this order of rounding: product, then sum. */
  public static void addScaled(double[] sum, int at, float[] values, int from, int count, double weight) {
    if (VECTOR_API) {
      VectorKernels.addScaled(sum, at, values, from, count, weight);
      return;
    }
    plainAddScaled(sum, at, values, from, count, weight);
  }

  /**
   * The mean of a running sum: {@code dst[to + i] = (float) (sum[at + i] / total)}, then {@code sum[at
   * + i] = 0}, for i in [0, count), so the sum is ready for the next round. With the Vector API the
   * division runs on double vectors in place (IEEE division is correctly rounded in a vector lane as
   * in a scalar one: the same double) and a second loop narrows to float and zeroes; narrowing in a
   * vector would be a second conversion shape ({@link VectorKernels}). The same bits either way.
   */
  public static void takeMean(double[] sum, int at, float[] dst, int to, int count, double total) {
    if (VECTOR_API) {
      VectorKernels.divide(sum, at, count, total);
      for (int i = 0; i < count; i++) {
        dst[to + i] = (float) sum[at + i];
        sum[at + i] = 0;
      }
      return;
    }
    plainTakeMean(sum, at, dst, to, count, total);
  }

  /** The plain loop of {@link #takeMean} (tests compare the two). */
  static void plainTakeMean(double[] sum, int at, float[] dst, int to, int count, double total) {
    for (int i = 0; i < count; i++) {
      dst[to + i] = (float) (sum[at + i] / total);
      sum[at + i] = 0;
    }
  }

  /** The plain loop of {@link #addScaled(double[], int, float[], int, int, double)} (tests compare the two). */
  static void plainAddScaled(double[] sum, int at, float[] values, int from, int count, double weight) {
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
