package dev.flotilla.protocol.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FloatKernelsTest {

  private static int[] bitsOf(float... values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }

  @Test
  @DisplayName("firstNonFinite finds NaN (any payload), +Inf and -Inf, relative to the range start, and passes every finite value")
  void nonFinite() {
    float[] finite = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1e-40f, 3.5f};
    assertThat(FloatKernels.firstNonFinite(bitsOf(finite), 0, finite.length)).isEqualTo(-1);
    assertThat(FloatKernels.firstNonFinite(bitsOf(1, 2, Float.NaN, Float.POSITIVE_INFINITY), 1, 3)).isEqualTo(1);
    assertThat(FloatKernels.firstNonFinite(bitsOf(1, Float.NEGATIVE_INFINITY), 0, 2)).isEqualTo(1);
    int[] payloadNaN = {0x7f800001, 0xffc00000};
    assertThat(FloatKernels.firstNonFinite(payloadNaN, 0, 2)).isEqualTo(0);
    assertThat(FloatKernels.firstNonFinite(payloadNaN, 1, 1)).isEqualTo(0);
    // a bad value outside the range does not count
    assertThat(FloatKernels.firstNonFinite(bitsOf(Float.NaN, 1, 2, Float.NaN), 1, 2)).isEqualTo(-1);
  }

  @Test
  @DisplayName("firstNonFinite finds a NaN at every position of a long range (the branch-free scan and the search agree)")
  void everyPosition() {
    int n = 3 * FloatKernels.BLOCK_VALUES + 5;
    int[] bits = new int[n];
    for (int bad = 0; bad < n; bad += 97) {
      bits[bad] = Float.floatToRawIntBits(Float.NaN);
      assertThat(FloatKernels.firstNonFinite(bits, 0, n)).isEqualTo(bad);
      bits[bad] = 0;
    }
  }

  @Test
  @DisplayName("addScaled adds weight x value in double precision at the given offsets, from arrays and from byte-buffer views alike")
  void addScaled() {
    double[] sum = {1, 1, 1, 1, 1};
    FloatKernels.addScaled(sum, 1, new float[] {9, 0.1f, 2, 3}, 1, 3, 2.5);
    assertThat(sum).containsExactly(1, 1 + 2.5 * (double) 0.1f, 1 + 2.5 * 2, 1 + 2.5 * 3, 1);

    int n = 2 * FloatKernels.BLOCK_VALUES + 3; // more than one block through the per-thread copy
    ByteBuffer bytes = ByteBuffer.allocateDirect(n * Float.BYTES + 4).order(ByteOrder.LITTLE_ENDIAN);
    double[] expected = new double[n + 2];
    for (int i = 0; i < n; i++) {
      float v = (float) Math.sin(i);
      bytes.putFloat(4 + i * Float.BYTES, v);
      expected[2 + i] = 0.5 * v;
    }
    FloatBuffer view = bytes.position(4).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    assertThat(view.hasArray()).isFalse();
    double[] viaView = new double[n + 2];
    FloatKernels.addScaled(viaView, 2, view, n, 0.5);
    assertThat(viaView).containsExactly(expected);
    assertThat(view.position()).isZero();

    float[] array = new float[n + 1];
    view.get(0, array, 1, n);
    double[] viaArray = new double[n + 2];
    FloatKernels.addScaled(viaArray, 2, FloatBuffer.wrap(array).position(1), n, 0.5);
    assertThat(viaArray).containsExactly(expected);
  }

  @Test
  @DisplayName("this test JVM runs the kernels it was configured for: the Vector API with --add-modules (protocol's "
      + "surefire), the plain loops without (its plain-kernels execution)")
  void kernelsOfThisJvm() {
    boolean expected = Boolean.parseBoolean(System.getProperty("flotilla.test.vector-api", "true"));
    assertThat(FloatKernels.VECTOR_API).isEqualTo(expected);
    assertThat(FloatKernels.describe()).contains(expected ? "Vector API" : "plain loops");
  }

  @Test
  @DisplayName("addScaled gives the plain loop's sums bit for bit (product rounded, then the sum; no fused multiply-add), "
      + "at every offset and for counts around the vector width")
  void addScaledEqualsThePlainLoop() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    float[] values = new float[300];
    for (int i = 0; i < values.length; i++) {
      // wide exponents, subnormals and signed zeros: rounding differences would show
      values[i] = i % 50 == 7 ? -0f : i % 50 == 9 ? Float.MIN_VALUE * i
          : (float) (random.nextDouble(-1, 1) * Math.pow(2, random.nextInt(-140, 120)));
    }
    for (int count : new int[] {0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 250}) {
      for (int from = 0; from < 9; from++) {
        int at = (from * 5) % 7;
        double weight = random.nextDouble(1, 1e6);
        double[] viaKernel = new double[count + 10];
        double[] viaPlain = new double[count + 10];
        for (int i = 0; i < viaKernel.length; i++) {
          viaKernel[i] = viaPlain[i] = random.nextDouble(-1e30, 1e30) * (i % 3 == 0 ? 1e-300 : 1);
        }
        FloatKernels.addScaled(viaKernel, at, values, from, count, weight);
        FloatKernels.plainAddScaled(viaPlain, at, values, from, count, weight);
        for (int i = 0; i < viaKernel.length; i++) {
          assertThat(Double.doubleToRawLongBits(viaKernel[i])).as("count %d from %d element %d", count, from, i)
              .isEqualTo(Double.doubleToRawLongBits(viaPlain[i]));
        }
      }
    }
  }

  @Test
  @DisplayName("takeMean gives (float) (sum / total) bit for bit and zeroes exactly the sums it read: quotients on float "
      + "rounding midpoints, subnormal and overflowing quotients, signed zeros, infinities, every offset, counts around "
      + "the vector width and odd tails")
  void takeMeanEqualsThePlainLoop() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(5);
    double[] totals = {1, 3, 7, 20, 210, 0.1, 1e-3, 1e-300, 123456.789, 2.5e-310};
    for (double total : totals) {
      double[] sums = new double[300];
      for (int i = 0; i < sums.length; i++) {
        float f = (float) (random.nextDouble(-1, 1) * Math.pow(2, random.nextInt(-149, 127)));
        sums[i] = switch (i % 10) {
          // exactly halfway between two floats, times the total: the narrowing's ties-to-even decides
          case 0 -> (f + Math.ulp(f) / 2.0) * total;
          case 1 -> (f - Math.ulp(f) / 2.0) * total;
          case 2 -> i % 20 == 2 ? -0.0 : 0.0;
          case 3 -> random.nextDouble(-1, 1) * 1e300; // beyond float's range after the division
          case 4 -> Float.MIN_VALUE * random.nextDouble(0, 4) * total; // subnormal quotients
          case 5 -> i % 20 == 5 ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
          default -> f * total * random.nextDouble(0.5, 2);
        };
      }
      for (int count : new int[] {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 250}) {
        for (int at = 0; at < 9; at++) {
          int to = (at * 5) % 7;
          double[] viaKernel = java.util.Arrays.copyOf(sums, count + 10);
          double[] viaPlain = viaKernel.clone();
          float[] kernelMean = new float[count + 10];
          float[] plainMean = new float[count + 10];
          java.util.Arrays.fill(kernelMean, 42f);
          java.util.Arrays.fill(plainMean, 42f);
          FloatKernels.takeMean(viaKernel, at, kernelMean, to, count, total);
          FloatKernels.plainTakeMean(viaPlain, at, plainMean, to, count, total);
          for (int i = 0; i < kernelMean.length; i++) {
            int expected = i >= to && i < to + count
                ? Float.floatToRawIntBits((float) (sums[at + i - to] / total)) : Float.floatToRawIntBits(42f);
            assertThat(Float.floatToRawIntBits(kernelMean[i])).as("total %s count %d at %d mean %d", total, count, at, i)
                .isEqualTo(Float.floatToRawIntBits(plainMean[i])).isEqualTo(expected);
          }
          for (int i = 0; i < viaKernel.length; i++) {
            long expected = Double.doubleToRawLongBits(i >= at && i < at + count ? 0.0 : (i < sums.length ? sums[i] : 0.0));
            assertThat(Double.doubleToRawLongBits(viaKernel[i])).as("total %s count %d at %d sum %d", total, count, at, i)
                .isEqualTo(Double.doubleToRawLongBits(viaPlain[i])).isEqualTo(expected);
          }
        }
      }
    }
  }

  @Test
  @DisplayName("firstNonFinite on little-endian bytes (heap, read-only, direct; from the buffer's position, which does "
      + "not move) passes every finite pattern and finds the first NaN or infinity at every position, also in the tail "
      + "shorter than a vector")
  void nonFiniteOnBytes() {
    int n = 3 * 64 + 5;
    ByteBuffer heap = ByteBuffer.allocate(8 + n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer direct = ByteBuffer.allocateDirect(8 + n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    int[] bits = new int[n];
    for (int i = 0; i < n; i++) {
      // signed zeros, subnormals, the largest finite values and ordinary ones
      bits[i] = i % 11 == 0 ? 0x80000000 : i % 13 == 0 ? 0x00000001 : i % 17 == 0 ? 0xff7fffff
          : Float.floatToRawIntBits((float) Math.sin(i) * i);
      heap.putInt(8 + i * Float.BYTES, bits[i]);
      direct.putInt(8 + i * Float.BYTES, bits[i]);
    }
    for (ByteBuffer source : List.of(heap, heap.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN), direct)) {
      for (int count : new int[] {n, n - 5, 1, 0}) {
        assertThat(FloatKernels.firstNonFinite(source.position(8), count)).isEqualTo(-1);
        assertThat(source.position()).isEqualTo(8);
      }
    }
    int[] bad = {0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffffffff};
    for (ByteBuffer source : List.of(heap, direct)) {
      for (int at = 0; at < n; at += 7) {
        source.putInt(8 + at * Float.BYTES, bad[at % bad.length]);
        source.putInt(8 + (n - 1) * Float.BYTES, 0x7f800000); // a later bad value does not hide the first
        assertThat(FloatKernels.firstNonFinite(source.position(8), n)).as("bad value at %d", at).isEqualTo(at);
        source.putInt(8 + at * Float.BYTES, bits[at]);
        source.putInt(8 + (n - 1) * Float.BYTES, bits[n - 1]);
      }
      source.putInt(8 + (n - 1) * Float.BYTES, 0x7f800000);
      assertThat(FloatKernels.firstNonFinite(source.position(8), n)).as("in the tail").isEqualTo(n - 1);
      assertThat(FloatKernels.firstNonFinite(source.position(8), n - 1)).as("beyond the count").isEqualTo(-1);
      source.putInt(8 + (n - 1) * Float.BYTES, bits[n - 1]);
    }
    assertThatThrownBy(() -> FloatKernels.firstNonFinite(ByteBuffer.allocate(8), 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("little-endian");
  }

  @Test
  @DisplayName("addScaledWithin folds little-endian bytes (a read-only view, or a view over an array at an offset as the "
      + "receive path hands them) as the plain loop does, bit for bit, and stops before the first value beyond the limit "
      + "or non-finite (at every position, also in the tail shorter than a vector), adding nothing from it on")
  void addScaledWithinStopsAtTheFirstValueBeyondTheLimit() {
    ByteBuffer bytes = ByteBuffer.allocate(8 + (3 * 64 + 5) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer readOnly = bytes.position(8).slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer()
        .order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer overArray = bytes.position(8).slice().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(overArray.hasArray()).isTrue();
    assertThat(overArray.arrayOffset()).isEqualTo(8);
    addScaledWithinStopsAtTheFirstValueBeyondTheLimit(bytes, readOnly);
    addScaledWithinStopsAtTheFirstValueBeyondTheLimit(bytes, overArray);
  }

  private static void addScaledWithinStopsAtTheFirstValueBeyondTheLimit(ByteBuffer bytes, ByteBuffer view) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(5);
    int n = 3 * 64 + 5;
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = i % 11 == 0 ? -0f : i % 13 == 0 ? Float.MIN_VALUE * i : (float) random.nextDouble(-100, 100);
      bytes.putFloat(8 + i * Float.BYTES, values[i]);
    }
    for (int count : new int[] {n, n - 5, 7, 1, 0}) {
      double[] viaKernel = new double[count + 3];
      double[] viaPlain = new double[count + 3];
      for (int i = 0; i < viaKernel.length; i++) {
        viaKernel[i] = viaPlain[i] = random.nextDouble(-1e3, 1e3);
      }
      assertThat(FloatKernels.addScaledWithin(viaKernel, 3, view, count, 7.25, 100f)).isEqualTo(-1);
      FloatKernels.plainAddScaled(viaPlain, 3, values, 0, count, 7.25);
      assertThat(viaKernel).as("count %d", count).containsExactly(viaPlain);
      assertThat(view.position()).isZero();
    }
    float[] beyond = {100.5f, -1e30f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0xffc00001)};
    for (int at = 0; at < n; at += 5) {
      float kept = values[at];
      bytes.putFloat(8 + at * Float.BYTES, beyond[at % beyond.length]);
      bytes.putFloat(8 + (n - 1) * Float.BYTES, Float.NaN); // a later bad value does not hide the first
      double[] sum = new double[n];
      assertThat(FloatKernels.addScaledWithin(sum, 0, view, n, 2, 100f)).as("bad value at %d", at).isEqualTo(at);
      for (int i = 0; i < n; i++) {
        assertThat(sum[i]).as("bad value at %d, element %d", at, i).isEqualTo(i < at ? 2.0 * values[i] : 0);
      }
      bytes.putFloat(8 + at * Float.BYTES, kept);
      bytes.putFloat(8 + (n - 1) * Float.BYTES, values[n - 1]);
    }
    assertThat(FloatKernels.addScaledWithin(new double[1], 0, view, 1, 1, 0f)).as("-0 is within 0").isEqualTo(-1);
    assertThatThrownBy(() -> FloatKernels.addScaledWithin(new double[1], 0, ByteBuffer.allocate(4), 1, 1, 1f))
        .hasMessageContaining("little-endian");
  }
}
