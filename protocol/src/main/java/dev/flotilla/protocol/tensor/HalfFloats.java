package dev.flotilla.protocol.tensor;

/**
 * Conversions between float32 and the two 2-byte floats of the wire ({@link WireEncoding}):
 * bfloat16 (the upper half of a float32) and IEEE 754 binary16 ("fp16"). Narrowing rounds to
 * nearest, ties to even, subnormals included; widening is exact (every 2-byte value is a float32).
 *
 * <p>Non-finite values stay non-finite, so the server's finiteness check refuses them after
 * widening: infinity stays infinity, and a NaN stays a NaN (its quiet bit is set, since cutting a
 * float32 NaN's low payload bits could otherwise leave an infinity's pattern). A finite float32
 * beyond the narrow type's range becomes infinity, as IEEE 754 rounding says: for fp16 that is
 * every value of magnitude 65520 or more (65504 is the largest finite fp16; below 65520 rounds to
 * it), for bfloat16 only values within half a bfloat16 step of {@link Float#MAX_VALUE}. The
 * conversion does not saturate; a party checks its update with {@link WireEncoding#requireEncodable}
 * and skips the round instead of sending a value the server would refuse.
 */
public final class HalfFloats {

  private static final int FLOAT_EXPONENT = 0x7f800000;
  private static final int FLOAT_ABS = 0x7fffffff;
  /** 65520, where fp16 rounding reaches infinity. */
  private static final int FLOAT16_OVERFLOW = 0x477ff000;
  /** 2^-14, fp16's smallest normal value. */
  private static final int FLOAT16_MIN_NORMAL = 0x38800000;
  /** Float32 exponent bias minus fp16's (127 - 15), in the exponent field. */
  private static final int REBIAS = 112 << 23;

  private HalfFloats() {}

  /** The bfloat16 nearest to {@code value} (ties to even), as its 16 bits. */
  public static short toBfloat16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if ((bits & FLOAT_ABS) > FLOAT_EXPONENT) {
      return (short) ((bits >>> 16) | 0x0040); // NaN: keep the sign and the top of the payload, quiet
    }
    // add just under half of the dropped part, plus one when the kept part is odd: ties go to even
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }

  /** The float32 bit pattern of a bfloat16 (exact). */
  public static int bfloat16ToFloatBits(short half) {
    return (half & 0xffff) << 16;
  }

  public static float bfloat16ToFloat(short half) {
    return Float.intBitsToFloat(bfloat16ToFloatBits(half));
  }

  /** The binary16 nearest to {@code value} (ties to even, subnormals), as its 16 bits. */
  public static short toFloat16(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int abs = bits & FLOAT_ABS;
    if (abs > FLOAT_EXPONENT) {
      return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff)); // NaN: quiet, top of the payload kept
    }
    if (abs >= FLOAT16_OVERFLOW) {
      return (short) (sign | 0x7c00); // infinity, or a finite value that rounds beyond 65504
    }
    if (abs >= FLOAT16_MIN_NORMAL) {
      int rebased = abs - REBIAS;
      // a carry out of the mantissa moves into the exponent, which is the right result
      return (short) (sign | ((rebased + 0x0fff + ((rebased >>> 13) & 1)) >>> 13));
    }
    int exponent = abs >>> 23;
    if (exponent < 102) {
      return (short) sign; // below 2^-25, half the smallest subnormal: rounds to (signed) zero
    }
    // a subnormal result counts units of 2^-24: the value is mantissa * 2^(exponent - 150)
    int mantissa = (abs & 0x7fffff) | 0x800000;
    int shift = 126 - exponent; // 14..24
    int result = mantissa >>> shift;
    int dropped = mantissa & ((1 << shift) - 1);
    int half = 1 << (shift - 1);
    if (dropped > half || (dropped == half && (result & 1) == 1)) {
      result++; // 1024 here is 2^-14, the smallest normal, which is the right encoding too
    }
    return (short) (sign | result);
  }

  /** The float32 bit pattern of a binary16 (exact). */
  public static int float16ToFloatBits(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0x1f) {
      return sign | FLOAT_EXPONENT | (mantissa << 13); // infinity, or NaN (its payload is not zero)
    }
    if (exponent != 0) {
      return sign | ((exponent << 23) + REBIAS) | (mantissa << 13);
    }
    // zero or subnormal: mantissa * 2^-24, exact in float32
    return sign | Float.floatToRawIntBits(mantissa * 0x1p-24f);
  }

  public static float float16ToFloat(short half) {
    return Float.intBitsToFloat(float16ToFloatBits(half));
  }
}
