package dev.flotilla.party.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reader of the idx format of MNIST and Fashion-MNIST: a big-endian magic number
 * {@code 0x00 0x00 type dims}, one int32 per dimension, then the data. Only unsigned bytes
 * (type 0x08) are supported, which is what both data sets use. A file is read gzipped or not,
 * judged by its first two bytes rather than its name.
 */
public final class IdxFiles {
  private static final int UNSIGNED_BYTE = 0x08;

  private IdxFiles() {}

  /** An idx array: its dimensions and its bytes in row-major order. */
  public record IdxArray(int[] dimensions, byte[] data) {}

  /**
   * Finds {@code baseName} or {@code baseName.gz} in {@code directory}.
   *
   * @throws DataMissingException naming both candidate paths when neither exists
   */
  public static Path locate(Path directory, String baseName) {
    Path plain = directory.resolve(baseName);
    Path gzipped = directory.resolve(baseName + ".gz");
    if (Files.isRegularFile(gzipped)) {
      return gzipped;
    }
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    String hint = Files.isDirectory(directory)
        ? ""
        : " (the directory " + directory + " does not exist)";
    throw new DataMissingException("data file missing: neither " + gzipped + " nor " + plain + " exists" + hint
        + "; point --data at a directory with the Fashion-MNIST idx files (Debian package dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist)");
  }

  public static IdxArray read(Path file) {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      raw.mark(2);
      int first = raw.read();
      int second = raw.read();
      raw.reset();
      boolean gzip = first == 0x1f && second == 0x8b;
      // a plain file's size bounds what its header may declare; a gzip stream's data is read as it arrives
      long available = gzip ? -1 : Files.size(file);
      try (InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw) {
        return read(new DataInputStream(in), file, available);
      }
    } catch (NoSuchFileException e) {
      throw new DataMissingException("data file missing: " + file, e);
    } catch (EOFException e) {
      throw new DataMissingException("data file " + file + " is truncated (ended before all its data was read)", e);
    } catch (IOException e) {
      throw new DataMissingException("cannot read data file " + file + ": " + e.getMessage(), e);
    }
  }

  private static IdxArray read(DataInputStream in, Path file, long available) throws IOException {
    int magic = in.readInt();
    int type = (magic >>> 8) & 0xff;
    int dimensionCount = magic & 0xff;
    if ((magic >>> 16) != 0 || dimensionCount == 0) {
      throw new DataMissingException(String.format(
          "%s is not an idx file (magic number 0x%08x)", file, magic));
    }
    if (type != UNSIGNED_BYTE) {
      throw new DataMissingException(String.format(
          "%s holds idx type 0x%02x; only unsigned bytes (0x08) are supported", file, type));
    }
    int[] dimensions = new int[dimensionCount];
    long total = 1;
    for (int i = 0; i < dimensionCount; i++) {
      dimensions[i] = in.readInt();
      if (dimensions[i] < 0) {
        throw new DataMissingException(file + " declares a negative dimension " + dimensions[i]);
      }
      total *= dimensions[i];
    }
    if (total > DataLimits.MAX_ELEMENTS) {
      throw new DataMissingException(file + " is too large (" + total + " elements)");
    }
    long header = 4L + 4L * dimensionCount;
    if (available >= 0 && total > available - header) {
      throw new DataMissingException(file + " declares " + total + " bytes of data " + java.util.Arrays.toString(dimensions)
          + " but holds " + Math.max(0, available - header));
    }
    return new IdxArray(dimensions, readBounded(in, (int) total));
  }

  /** Reads exactly {@code total} bytes, growing the buffer only as data arrives. */
  private static byte[] readBounded(DataInputStream in, int total) throws IOException {
    byte[] data = new byte[Math.min(total, 1 << 20)];
    int filled = 0;
    while (filled < total) {
      if (filled == data.length) {
        data = java.util.Arrays.copyOf(data, (int) Math.min(total, 2L * data.length));
      }
      int n = in.read(data, filled, data.length - filled);
      if (n < 0) {
        throw new EOFException();
      }
      filled += n;
    }
    return data;
  }
}
