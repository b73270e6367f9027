package dev.flotilla.party.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The .npy format (NumPy's NEP 1, versions 1 to 3): magic, version, header length, a Python dict
 * literal with descr, fortran_order and shape, then the data. The header is bounded and the shape's
 * byte count checked against the caps (and against what the file holds, when that is known) before
 * anything is allocated.
 */
final class NpyFormat {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private NpyFormat() {}

  /** An array: element type, byte order, shape and raw row-major bytes. */
  record NpyArray(String source, ElementType type, ByteOrder order, long[] shape, byte[] data) {
    long rows() {
      return shape.length == 0 ? 1 : shape[0];
    }

    /** The value at element {@code index} (row-major), as a double. */
    double element(int index) {
      return type.get(java.nio.ByteBuffer.wrap(data).order(order), index * type.bytes());
    }
  }

  /**
   * Reads one array from {@code in}. {@code available} is the number of bytes the source holds
   * after this point when known (a plain file), else -1 (a zip entry, whose declared size may lie).
   */
  static NpyArray read(InputStream in, String source, long available) {
    try {
      DataInputStream data = new DataInputStream(in);
      byte[] magic = new byte[MAGIC.length];
      data.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new BadDataException(source + ": not a .npy array (no \\x93NUMPY magic)");
      }
      int major = data.readUnsignedByte();
      data.readUnsignedByte();
      long headerLength;
      int prefix;
      if (major == 1) {
        headerLength = Short.toUnsignedInt(Short.reverseBytes(data.readShort()));
        prefix = 10;
      } else if (major == 2 || major == 3) {
        headerLength = Integer.toUnsignedLong(Integer.reverseBytes(data.readInt()));
        prefix = 12;
      } else {
        throw new BadDataException(source + ": .npy version " + major + " is not supported (1, 2 or 3)");
      }
      if (headerLength > DataLimits.MAX_NPY_HEADER_BYTES) {
        throw new BadDataException(source + ": .npy header of " + headerLength + " bytes, more than "
            + DataLimits.MAX_NPY_HEADER_BYTES);
      }
      byte[] headerBytes = new byte[(int) headerLength];
      data.readFully(headerBytes);
      String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
      Matcher descr = DESCR.matcher(header);
      Matcher fortran = FORTRAN.matcher(header);
      Matcher shapeText = SHAPE.matcher(header);
      if (!descr.find() || !fortran.find() || !shapeText.find()) {
        throw new BadDataException(source + ": .npy header lacks descr, fortran_order or shape (structured arrays "
            + "are not supported): " + abbreviate(header));
      }
      if (fortran.group(1).equals("True")) {
        throw new BadDataException(source + ": Fortran-ordered array; save it C-ordered (np.ascontiguousarray)");
      }
      ByteOrder order = ByteOrder.LITTLE_ENDIAN;
      ElementType type = elementType(source, descr.group(1));
      if (descr.group(1).startsWith(">")) {
        order = ByteOrder.BIG_ENDIAN;
      }
      long[] shape = shape(source, shapeText.group(1));
      long elements = 1;
      for (long d : shape) {
        elements = Math.multiplyExact(elements, d);
        if (elements > DataLimits.MAX_ELEMENTS) {
          break;
        }
      }
      long bytes = elements * type.bytes();
      if (elements > DataLimits.MAX_ELEMENTS || bytes > DataLimits.MAX_ELEMENTS) {
        throw new BadDataException(source + ": shape " + Arrays.toString(shape) + " of " + descr.group(1)
            + " is more than " + DataLimits.MAX_ELEMENTS + " bytes in memory");
      }
      if (available >= 0 && bytes > available - prefix - headerLength) {
        throw new BadDataException(source + ": shape " + Arrays.toString(shape) + " needs " + bytes
            + " bytes of data but the file holds " + Math.max(0, available - prefix - headerLength));
      }
      byte[] values = new byte[(int) bytes];
      data.readFully(values);
      return new NpyArray(source, type, order, shape, values);
    } catch (EOFException e) {
      throw new BadDataException(source + ": truncated .npy array (ended before its data)", e);
    } catch (ArithmeticException e) {
      throw new BadDataException(source + ": .npy shape overflows", e);
    } catch (IOException e) {
      throw new DataMissingException("cannot read " + source + ": " + e.getMessage(), e);
    }
  }

  private static ElementType elementType(String source, String descr) {
    if (descr.length() < 3 || "<>|=".indexOf(descr.charAt(0)) < 0) {
      throw unsupported(source, descr);
    }
    return switch (descr.substring(1)) {
      case "b1" -> ElementType.BOOL;
      case "i1" -> ElementType.INT8;
      case "u1" -> ElementType.UINT8;
      case "i2" -> ElementType.INT16;
      case "u2" -> ElementType.UINT16;
      case "i4" -> ElementType.INT32;
      case "u4" -> ElementType.UINT32;
      case "i8" -> ElementType.INT64;
      case "u8" -> ElementType.UINT64;
      case "f2" -> ElementType.FLOAT16;
      case "f4" -> ElementType.FLOAT32;
      case "f8" -> ElementType.FLOAT64;
      default -> throw unsupported(source, descr);
    };
  }

  private static BadDataException unsupported(String source, String descr) {
    return new BadDataException(source + ": element type '" + descr + "' is not supported; use bool, int8..int64, "
        + "uint8..uint64, float16, float32 or float64");
  }

  private static long[] shape(String source, String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) {
      return new long[0];
    }
    String[] parts = trimmed.split(",");
    int count = parts[parts.length - 1].isBlank() ? parts.length - 1 : parts.length;
    if (count > 32) {
      throw new BadDataException(source + ": shape (" + abbreviate(text) + ") has more than 32 dimensions");
    }
    long[] shape = new long[count];
    for (int i = 0; i < count; i++) {
      try {
        shape[i] = Long.parseLong(parts[i].trim().replace("L", ""));
      } catch (NumberFormatException e) {
        throw new BadDataException(source + ": shape (" + abbreviate(text) + ") is not a tuple of integers");
      }
      if (shape[i] < 0) {
        throw new BadDataException(source + ": shape (" + abbreviate(text) + ") has a negative dimension");
      }
    }
    return shape;
  }

  private static String abbreviate(String text) {
    String clean = text.strip();
    return clean.length() <= 120 ? clean : clean.substring(0, 120) + "...";
  }
}
