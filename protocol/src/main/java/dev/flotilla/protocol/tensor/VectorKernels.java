package dev.flotilla.protocol.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatKernels}' loops written with the Vector API (jdk.incubator.vector, Java 17). Loaded
 * only when the JVM was started with {@code --add-modules jdk.incubator.vector}: every other JVM never
 * touches this class and runs the plain loops. Java 17's C2 does not vectorise a float-to-double
 * widening loop (it runs one value at a time); here a float vector of half the preferred width
 * widens into a full double vector. Each sum gets {@code weight * value} rounded to double and then
 * added, as in the plain loop (a multiply, then an add: no fused multiply-add), so the results are
 * the same bits.
 *
 * <p>One conversion shape only (float to double): a second method that narrowed doubles to floats with
 * {@code convertShape(D2F)} (the mean, tried in session 5) made both run at a quarter of their speed
 * and slowed the fold to half the plain loop's: C2 then no longer compiled the shared conversion code
 * of the API to one instruction. The previous session saw the same with other shapes.
 */
final class VectorKernels {

  private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Float> HALF_FLOATS =
      VectorSpecies.of(float.class, VectorShape.forBitSize(DOUBLES.vectorBitSize() / 2));
  private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
  private static final int EXPONENT = 0x7f800000;
  private static final int EXPONENT_LSB = 0x00800000;

  private VectorKernels() {}

  /** A short description for the log, e.g. "Vector API, 512-bit doubles". */
  static String describe() {
    return "Vector API, " + DOUBLES.vectorBitSize() + "-bit doubles";
  }

  /** {@code sum[at + i] += weight * values[from + i]} for i in [0, count), as the plain loop rounds it. */
  static void addScaled(double[] sum, int at, float[] values, int from, int count, double weight) {
    DoubleVector w = DoubleVector.broadcast(DOUBLES, weight);
    int step = DOUBLES.length();
    int i = 0;
    for (int bound = count - step; i <= bound; i += step) {
      DoubleVector v = (DoubleVector) FloatVector.fromArray(HALF_FLOATS, values, from + i)
          .convertShape(VectorOperators.F2D, DOUBLES, 0);
      DoubleVector.fromArray(DOUBLES, sum, at + i).add(v.mul(w)).intoArray(sum, at + i);
    }
    for (; i < count; i++) {
      sum[at + i] += weight * values[from + i];
    }
  }

  /** {@code sum[at + i] /= total} for i in [0, count): a lane's quotient is the scalar one's (IEEE division). */
  static void divide(double[] sum, int at, int count, double total) {
    DoubleVector d = DoubleVector.broadcast(DOUBLES, total);
    int step = DOUBLES.length();
    int i = 0;
    for (int bound = count - step; i <= bound; i += step) {
      DoubleVector.fromArray(DOUBLES, sum, at + i).div(d).intoArray(sum, at + i);
    }
    for (; i < count; i++) {
      sum[at + i] /= total;
    }
  }

  /**
   * {@code sum[at + i] += weight * x[i]} for the little-endian float32 values {@code x} of {@code
   * values} from its position, in order, up to the first that is not within {@code [-limit, limit]}
   * (NaN never is); returns that value's index, or -1 after all. Decoding, the check and the fold are
   * one loop over the bytes: a vector whose lanes are all within the limit is folded, the first that
   * is not is walked one value at a time. The check compares floats of the fold's own species: an
   * integer view of half the preferred width beside {@link #firstNonFinite}'s would be a second int
   * shape, which made C2 fall back to the API's Java code for both (a third of the speed).
   */
  static int addScaledWithin(double[] sum, int at, ByteBuffer values, int count, double weight, float limit) {
    int base = values.position();
    DoubleVector w = DoubleVector.broadcast(DOUBLES, weight);
    int step = DOUBLES.length();
    int i = 0;
    if (values.hasArray()) {
      // the received chunk's own array (ChunkViews): loading from it ran faster than through the buffer
      byte[] bytes = values.array();
      int from = values.arrayOffset() + base;
      for (int bound = count - step; i <= bound; i += step) {
        FloatVector x = FloatVector.fromByteArray(HALF_FLOATS, bytes, from + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
        if (!x.abs().compare(VectorOperators.LE, limit).allTrue()) {
          break;
        }
        DoubleVector v = (DoubleVector) x.convertShape(VectorOperators.F2D, DOUBLES, 0);
        DoubleVector.fromArray(DOUBLES, sum, at + i).add(v.mul(w)).intoArray(sum, at + i);
      }
    } else {
      for (int bound = count - step; i <= bound; i += step) {
        FloatVector x = FloatVector.fromByteBuffer(HALF_FLOATS, values, base + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
        if (!x.abs().compare(VectorOperators.LE, limit).allTrue()) {
          break;
        }
        DoubleVector v = (DoubleVector) x.convertShape(VectorOperators.F2D, DOUBLES, 0);
        DoubleVector.fromArray(DOUBLES, sum, at + i).add(v.mul(w)).intoArray(sum, at + i);
      }
    }
    for (; i < count; i++) {
      float x = values.getFloat(base + i * Float.BYTES);
      if (!(Math.abs(x) <= limit)) {
        return i;
      }
      sum[at + i] += weight * x;
    }
    return -1;
  }

  /**
   * The index of the first NaN or infinity among {@code count} little-endian float32 values of {@code
   * src} from its position (which does not move), or -1: the branch-free test of {@link
   * FloatKernels#firstNonFinite} straight on the bytes, so no copy is made for the check.
   */
  static int firstNonFinite(ByteBuffer src, int count) {
    int base = src.position();
    IntVector any = IntVector.zero(INTS);
    int step = INTS.length();
    int i = 0;
    if (src.hasArray()) {
      byte[] bytes = src.array();
      int from = src.arrayOffset() + base;
      for (int bound = count - step; i <= bound; i += step) {
        any = any.or(IntVector.fromByteArray(INTS, bytes, from + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN)
            .and(EXPONENT).add(EXPONENT_LSB));
      }
    } else {
      for (int bound = count - step; i <= bound; i += step) {
        any = any.or(IntVector.fromByteBuffer(INTS, src, base + i * Float.BYTES, ByteOrder.LITTLE_ENDIAN)
            .and(EXPONENT).add(EXPONENT_LSB));
      }
    }
    int tail = 0;
    for (; i < count; i++) {
      tail |= (src.getInt(base + i * Float.BYTES) & EXPONENT) + EXPONENT_LSB;
    }
    if ((any.reduceLanes(VectorOperators.OR) | tail) >= 0) {
      return -1;
    }
    for (int k = 0; k < count; k++) {
      if ((src.getInt(base + k * Float.BYTES) & EXPONENT) == EXPONENT) {
        return k;
      }
    }
    throw new AssertionError("unreachable: a non-finite value was seen");
  }
}
