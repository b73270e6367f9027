package dev.flotilla.protocol.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

  private static int bits(float f) {
    return Float.floatToRawIntBits(f);
  }

  private static int bf16(float f) {
    return HalfFloats.toBfloat16(f) & 0xffff;
  }

  private static int fp16(float f) {
    return HalfFloats.toFloat16(f) & 0xffff;
  }

  /**
   * An independent oracle: the finite values of a 2-byte type, sorted, with their patterns; the
   * nearest one to a float32 by exact (double) distance, ties to the even pattern, or infinity
   * beyond the largest finite value plus half a step (IEEE 754 overflow).
   */
  private static final class Oracle {
    final double[] values;
    final int[] patterns;
    final double overflowAt;

    Oracle(boolean bfloat) {
      double[] v = new double[0x10000];
      int[] p = new int[0x10000];
      int n = 0;
      for (int h = 0; h < 0x10000; h++) {
        float f = bfloat ? HalfFloats.bfloat16ToFloat((short) h) : HalfFloats.float16ToFloat((short) h);
        if (Float.isFinite(f) && !(f == 0 && h != 0)) { // one zero (+0) in the list, signs handled by the caller
          v[n] = f;
          p[n++] = h;
        }
      }
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Double.compare(v[a], v[b]));
      values = new double[n];
      patterns = new int[n];
      for (int i = 0; i < n; i++) {
        values[i] = v[order[i]];
        patterns[i] = p[order[i]];
      }
      double max = values[n - 1];
      overflowAt = max + (max - values[n - 2]) / 2;
    }

    /** The expected pattern of a finite non-negative float32. */
    int nearest(float f) {
      double x = f;
      if (x >= overflowAt) {
        return -1; // infinity
      }
      int i = Arrays.binarySearch(values, x);
      if (i >= 0) {
        return patterns[i];
      }
      int above = -i - 1;
      int below = above - 1;
      if (above == values.length) {
        return patterns[below];
      }
      double dBelow = x - values[below];
      double dAbove = values[above] - x;
      if (dBelow != dAbove) {
        return dBelow < dAbove ? patterns[below] : patterns[above];
      }
      return (patterns[below] & 1) == 0 ? patterns[below] : patterns[above];
    }
  }

  @Nested
  @DisplayName("bfloat16")
  class Bfloat16 {

    @Test
    @DisplayName("exact values keep their upper 16 bits: 1, -2, 0.15625, +0, -0, the smallest normal and subnormal")
    void exactValues() {
      assertThat(bf16(1f)).isEqualTo(0x3f80);
      assertThat(bf16(-2f)).isEqualTo(0xc000);
      assertThat(bf16(0.15625f)).isEqualTo(0x3e20);
      assertThat(bf16(0f)).isEqualTo(0x0000);
      assertThat(bf16(-0f)).isEqualTo(0x8000);
      assertThat(bf16(Float.MIN_NORMAL)).isEqualTo(0x0080);
      assertThat(bf16(Float.intBitsToFloat(0x00010000))).isEqualTo(0x0001);
      assertThat(HalfFloats.bfloat16ToFloat((short) 0x3f80)).isEqualTo(1f);
      assertThat(bits(HalfFloats.bfloat16ToFloat((short) 0x8000))).isEqualTo(bits(-0f));
    }

    @Test
    @DisplayName("rounding is to nearest, ties to even: halfway between two bfloat16 goes to the even pattern, just above goes up")
    void tiesToEven() {
      // 1 + 2^-8 lies halfway between 1 (0x3f80, even) and 1 + 2^-7 (0x3f81): to 0x3f80
      assertThat(bf16(Float.intBitsToFloat(0x3f808000))).isEqualTo(0x3f80);
      // halfway between 0x3f81 (odd) and 0x3f82: to 0x3f82
      assertThat(bf16(Float.intBitsToFloat(0x3f818000))).isEqualTo(0x3f82);
      assertThat(bf16(Float.intBitsToFloat(0x3f808001))).isEqualTo(0x3f81);
      assertThat(bf16(Float.intBitsToFloat(0x3f807fff))).isEqualTo(0x3f80);
      assertThat(bf16(Float.intBitsToFloat(0xbf818000))).isEqualTo(0xbf82);
      // a carry into the exponent: 2 - 2^-23 rounds to 2
      assertThat(bf16(Float.intBitsToFloat(0x3fffffff))).isEqualTo(0x4000);
    }

    @Test
    @DisplayName("subnormal float32 round like any other: the low 16 bits are rounded off, and a tie at the smallest goes to zero")
    void subnormals() {
      assertThat(bf16(Float.intBitsToFloat(0x00018000))).isEqualTo(0x0002); // tie, 1 is odd: up to 2
      assertThat(bf16(Float.intBitsToFloat(0x00008000))).isEqualTo(0x0000); // tie, 0 is even
      assertThat(bf16(Float.intBitsToFloat(0x00008001))).isEqualTo(0x0001);
      assertThat(bf16(Float.MIN_VALUE)).isEqualTo(0x0000);
      assertThat(bf16(Float.intBitsToFloat(0x007fffff))).isEqualTo(0x0080); // up into the smallest normal
    }

    @Test
    @DisplayName("infinities stay infinite, every NaN stays a NaN (also one whose payload lies in the dropped bits), and only finite values within half a step of Float.MAX_VALUE overflow")
    void nonFinite() {
      assertThat(bf16(Float.POSITIVE_INFINITY)).isEqualTo(0x7f80);
      assertThat(bf16(Float.NEGATIVE_INFINITY)).isEqualTo(0xff80);
      for (int nan : new int[] {0x7fc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0x7f80ffff}) {
        assertThat(HalfFloats.bfloat16ToFloat(HalfFloats.toBfloat16(Float.intBitsToFloat(nan)))).as("%x", nan).isNaN();
      }
      assertThat(bf16(Float.MAX_VALUE)).isEqualTo(0x7f80);
      assertThat(bf16(-Float.MAX_VALUE)).isEqualTo(0xff80);
      assertThat(bf16(Float.intBitsToFloat(0x7f7f7fff))).isEqualTo(0x7f7f); // just below the tie: largest finite
      assertThat(bf16(Float.intBitsToFloat(0x7f7f8000))).isEqualTo(0x7f80); // the tie goes to even, which is infinity
    }

    @Test
    @DisplayName("every one of the 65536 patterns widens to float32 and narrows back to itself (NaNs to a NaN)")
    void roundTrip() {
      for (int h = 0; h < 0x10000; h++) {
        float f = HalfFloats.bfloat16ToFloat((short) h);
        if (Float.isNaN(f)) {
          assertThat(HalfFloats.bfloat16ToFloat(HalfFloats.toBfloat16(f))).isNaN();
        } else {
          assertThat(bf16(f)).as("%04x", h).isEqualTo(h);
        }
      }
    }

    @Test
    @DisplayName("400 000 random finite float32 (all exponents) narrow to the nearest bfloat16 of an independent search, ties to even")
    void matchesOracle() {
      Oracle oracle = new Oracle(true);
      Random random = new Random(13);
      for (int i = 0; i < 400_000; i++) {
        float f = Float.intBitsToFloat(random.nextInt() & 0x7fffffff);
        if (!Float.isFinite(f)) {
          continue;
        }
        int expected = oracle.nearest(f);
        assertThat(bf16(f)).as("%08x", bits(f)).isEqualTo(expected < 0 ? 0x7f80 : expected);
        assertThat(bf16(-f)).isEqualTo((expected < 0 ? 0x7f80 : expected) | 0x8000);
      }
    }
  }

  @Nested
  @DisplayName("float16")
  class Float16 {

    @Test
    @DisplayName("exact values: 1, -2, 0.5, 65504 (largest), 2^-14 (smallest normal), 2^-24 (smallest subnormal), +0 and -0")
    void exactValues() {
      assertThat(fp16(1f)).isEqualTo(0x3c00);
      assertThat(fp16(-2f)).isEqualTo(0xc000);
      assertThat(fp16(0.5f)).isEqualTo(0x3800);
      assertThat(fp16(65504f)).isEqualTo(0x7bff);
      assertThat(fp16(0x1p-14f)).isEqualTo(0x0400);
      assertThat(fp16(0x1p-24f)).isEqualTo(0x0001);
      assertThat(fp16(0x3ffp-24f)).isEqualTo(0x03ff);
      assertThat(fp16(0f)).isEqualTo(0x0000);
      assertThat(fp16(-0f)).isEqualTo(0x8000);
      assertThat(HalfFloats.float16ToFloat((short) 0x7bff)).isEqualTo(65504f);
      assertThat(HalfFloats.float16ToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
      assertThat(HalfFloats.float16ToFloat((short) 0x83ff)).isEqualTo(-0x3ffp-24f);
      assertThat(bits(HalfFloats.float16ToFloat((short) 0x8000))).isEqualTo(bits(-0f));
    }

    @Test
    @DisplayName("rounding is to nearest, ties to even, for normal and subnormal results")
    void tiesToEven() {
      // 1 + 2^-11 is halfway between 1 (0x3c00) and 1 + 2^-10 (0x3c01): to even 0x3c00
      assertThat(fp16(1f + 0x1p-11f)).isEqualTo(0x3c00);
      assertThat(fp16(1f + 3 * 0x1p-11f)).isEqualTo(0x3c02); // halfway between 0x3c01 (odd) and 0x3c02
      assertThat(fp16(Math.nextUp(1f + 0x1p-11f))).isEqualTo(0x3c01);
      assertThat(fp16(Math.nextDown(1f + 0x1p-11f))).isEqualTo(0x3c00);
      // subnormal: 1.5 * 2^-24 between 1 and 2 units: to 2; 2.5 units: to 2; 0.5 units (2^-25): to 0
      assertThat(fp16(1.5f * 0x1p-24f)).isEqualTo(0x0002);
      assertThat(fp16(2.5f * 0x1p-24f)).isEqualTo(0x0002);
      assertThat(fp16(0x1p-25f)).isEqualTo(0x0000);
      assertThat(fp16(Math.nextUp(0x1p-25f))).isEqualTo(0x0001);
      assertThat(fp16(-Math.nextUp(0x1p-25f))).isEqualTo(0x8001);
      // the largest subnormal plus half a unit rounds up into the smallest normal (1024 units, 0x0400)
      assertThat(fp16(1023.5f * 0x1p-24f)).isEqualTo(0x0400);
      // float32 subnormals are far below fp16's range: signed zero
      assertThat(fp16(Float.MIN_VALUE)).isEqualTo(0x0000);
      assertThat(fp16(-Float.MIN_NORMAL)).isEqualTo(0x8000);
    }

    @Test
    @DisplayName("overflow: below 65520 rounds to 65504, 65520 (the tie) and above become infinity, never a clamped value")
    void overflow() {
      assertThat(fp16(65519.996f)).isEqualTo(0x7bff);
      assertThat(fp16(65510f)).isEqualTo(0x7bff);
      assertThat(fp16(65520f)).isEqualTo(0x7c00);
      assertThat(fp16(70000f)).isEqualTo(0x7c00);
      assertThat(fp16(-1e10f)).isEqualTo(0xfc00);
      assertThat(fp16(Float.MAX_VALUE)).isEqualTo(0x7c00);
    }

    @Test
    @DisplayName("infinities stay infinite and every NaN stays a NaN (also one whose payload lies in the dropped bits)")
    void nonFinite() {
      assertThat(fp16(Float.POSITIVE_INFINITY)).isEqualTo(0x7c00);
      assertThat(fp16(Float.NEGATIVE_INFINITY)).isEqualTo(0xfc00);
      for (int nan : new int[] {0x7fc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0x7f801fff}) {
        assertThat(HalfFloats.float16ToFloat(HalfFloats.toFloat16(Float.intBitsToFloat(nan)))).as("%x", nan).isNaN();
      }
      assertThat(HalfFloats.float16ToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
      assertThat(HalfFloats.float16ToFloat((short) 0xfc01)).isNaN();
    }

    @Test
    @DisplayName("every one of the 65536 patterns widens to float32 and narrows back to itself (NaNs to a NaN)")
    void roundTrip() {
      for (int h = 0; h < 0x10000; h++) {
        float f = HalfFloats.float16ToFloat((short) h);
        if (Float.isNaN(f)) {
          assertThat(HalfFloats.float16ToFloat(HalfFloats.toFloat16(f))).isNaN();
        } else {
          assertThat(fp16(f)).as("%04x", h).isEqualTo(h);
        }
      }
    }

    @Test
    @DisplayName("400 000 random finite float32 around fp16's range (2^-28 .. 2^17) narrow to the nearest float16 of an independent search, ties to even")
    void matchesOracle() {
      Oracle oracle = new Oracle(false);
      Random random = new Random(17);
      for (int i = 0; i < 400_000; i++) {
        int exponent = 127 - 28 + random.nextInt(46);
        // every fourth value sits exactly on a tie or a representable value (few low bits set)
        int mantissa = i % 4 == 0 ? random.nextInt(1 << 12) << 11 : random.nextInt(1 << 23);
        float f = Float.intBitsToFloat(exponent << 23 | mantissa);
        int expected = oracle.nearest(f);
        assertThat(fp16(f)).as("%08x", bits(f)).isEqualTo(expected < 0 ? 0x7c00 : expected);
        assertThat(fp16(-f)).isEqualTo((expected < 0 ? 0x7c00 : expected) | 0x8000);
      }
    }
  }
}
