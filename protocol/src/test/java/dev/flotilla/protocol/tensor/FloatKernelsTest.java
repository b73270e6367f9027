package dev.flotilla.protocol.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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
}
