package dev.flotilla.protocol.model;

import dev.flotilla.protocol.tensor.HalfFloats;
import java.nio.ByteBuffer;

/**
 * Converts between float32 values and the little-endian bytes of a stored dtype. Floating types
 * round to nearest even (as PyTorch's {@code .to(dtype)} does; the 2-byte ones through
 * {@link HalfFloats}, the conversions of the wire's reduced-precision updates too); integer types round to the
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
          dst[off + i] = HalfFloats.float16ToFloat(src.getShort(src.position() + 2 * i));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          dst[off + i] = HalfFloats.bfloat16ToFloat(src.getShort(src.position() + 2 * i));
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
          short h = HalfFloats.toFloat16(src[off + i]);
          if ((h & 0x7c00) == 0x7c00) {
            return i; // overflowed to infinity
          }
          dst.putShort(h);
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          short b = HalfFloats.toBfloat16(src[off + i]);
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
}
