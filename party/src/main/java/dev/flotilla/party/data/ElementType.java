package dev.flotilla.party.data;

import dev.flotilla.protocol.tensor.HalfFloats;
import java.nio.ByteBuffer;

/** The element types of NumPy arrays a party reads, each read from a little- or big-endian buffer as a float. */
enum ElementType {
  BOOL(1, true),
  INT8(1, true),
  UINT8(1, true),
  INT16(2, true),
  UINT16(2, true),
  INT32(4, true),
  UINT32(4, true),
  INT64(8, true),
  UINT64(8, true),
  FLOAT16(2, false),
  FLOAT32(4, false),
  FLOAT64(8, false);

  private final int bytes;
  private final boolean integer;

  ElementType(int bytes, boolean integer) {
    this.bytes = bytes;
    this.integer = integer;
  }

  int bytes() {
    return bytes;
  }

  /** Integer types (and bool) hold class indices; float types hold measurements or regression targets. */
  boolean integral() {
    return integer;
  }

  /** The element at byte {@code offset} of {@code buffer} (whose order is the array's). */
  double get(ByteBuffer buffer, int offset) {
    return switch (this) {
      case BOOL -> buffer.get(offset) != 0 ? 1 : 0;
      case INT8 -> buffer.get(offset);
      case UINT8 -> Byte.toUnsignedInt(buffer.get(offset));
      case INT16 -> buffer.getShort(offset);
      case UINT16 -> Short.toUnsignedInt(buffer.getShort(offset));
      case INT32 -> buffer.getInt(offset);
      case UINT32 -> Integer.toUnsignedLong(buffer.getInt(offset));
      case INT64 -> buffer.getLong(offset);
      case UINT64 -> {
        long v = buffer.getLong(offset);
        yield v >= 0 ? v : (double) (v >>> 1) * 2 + (v & 1);
      }
      case FLOAT16 -> HalfFloats.float16ToFloat(buffer.getShort(offset)); // Java 17 has no Float.float16ToFloat
      case FLOAT32 -> buffer.getFloat(offset);
      case FLOAT64 -> buffer.getDouble(offset);
    };
  }
}
