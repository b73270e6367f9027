package dev.flotilla.protocol.model;

import java.nio.ByteBuffer;

/**
 * Converts between float32 values and the little-endian bytes of a stored dtype. Floating types
 * round to nearest even (as PyTorch's {@code .to(dtype)} does); integer types round to the
 * nearest integer, halves to even ({@link Math#rint}).
 */
final class StoredValues {

  private StoredValues() {}

  /** Decodes n values of dtype from src (little-endian, at its position) into dst[off..off+n). */
  static void decode(DType dtype, ByteBuffer src, float[] dst, int off, int n) {
    switch (dtype) {
      case F32 -> src.asFloatBuffer().get(dst, off, n);
      case F16 -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = halfToFloat(src.getShort(src.position() + 2 * i));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = Float.intBitsToFloat((src.getShort(src.position() + 2 * i) & 0xffff) << 16);
        }
      }
      case F64 -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = (float) src.getDouble(src.position() + 8 * i);
        }
      }
      case I64 -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = (float) src.getLong(src.position() + 8 * i);
        }
      }
      case I32 -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = (float) src.getInt(src.position() + 4 * i);
        }
      }
    }
  }

  /**
   * Encodes src[off..off+n) as dtype into dst (little-endian, from its position, which advances).
   *
   * @return index (relative to off) of the first value the dtype cannot hold, or -1 when all fit
   */
  static int encode(DType dtype, float[] src, int off, int n, ByteBuffer dst) {
    switch (dtype) {
      case F32 -> {
        dst.asFloatBuffer().put(src, off, n);
        dst.position(dst.position() + 4 * n);
      }
      case F16 -> {
        for (int i = 0; i < n; i++) {
          short h = floatToHalf(src[off + i]);
          if ((h & 0x7c00) == 0x7c00) {
            return i; // overflowed to infinity
          }
          dst.putShort(h);
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          short b = floatToBfloat16(src[off + i]);
          if ((b & 0x7f80) == 0x7f80) {
            return i;
          }
          dst.putShort(b);
        }
      }
      case F64 -> {
        for (int i = 0; i < n; i++) {
          dst.putDouble(src[off + i]);
        }
      }
      case I64 -> {
        for (int i = 0; i < n; i++) {
          double r = Math.rint(src[off + i]);
          if (!(r >= -0x1p63 && r <= 0x1p63)) {
            return i;
          }
          dst.putLong((long) r); // 2^63, the float nearest Long.MAX_VALUE, saturates to it
        }
      }
      case I32 -> {
        for (int i = 0; i < n; i++) {
          double r = Math.rint(src[off + i]);
          if (!(r >= Integer.MIN_VALUE && r <= 0x1p31)) {
            return i;
          }
          dst.putInt((int) r); // 2^31, the float nearest Integer.MAX_VALUE, saturates to it
        }
      }
    }
    return -1;
  }

  /** IEEE 754 binary16 to float32 (exact). */
  static float halfToFloat(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f; // subnormal (or zero)
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** float32 to IEEE 754 binary16, rounding to nearest even; too large becomes infinity. */
  static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) {
      return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      int full = mant | 0x800000;
      int shift = 14 - e;
      int m = full >> shift;
      int rest = full & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rest > halfway || (rest == halfway && (m & 1) != 0)) {
        m++; // a carry makes it the smallest normal, which is right
      }
      return (short) (sign | m);
    }
    int h = sign | (e << 10) | (mant >> 13);
    int rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) {
      h++; // a carry into the exponent is right, up to infinity
    }
    return (short) h;
  }

  /** float32 to bfloat16, rounding to nearest even. */
  static short floatToBfloat16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7f800000) == 0x7f800000) {
      return (short) ((bits >>> 16) | ((bits & 0xffff) != 0 ? 0x40 : 0));
    }
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }
}
