package dev.flotilla.server.aggregation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A scratch file of float32 values (little-endian), appended in order and read back by value index
 * with positional reads. Appends collect in a small buffer of its own ({@value #PENDING_VALUES}
 * values) that goes to the file when full or on {@link #flush()}: chunks arrive in blocks of a few
 * thousand values, and one write per block would cost a system call each. The values read back are
 * the file's plus the buffer's, so nothing appended is ever out of reach, also after a failed write
 * (a spool file relies on that). Reads go through one direct buffer per thread: NIO would
 * otherwise copy into a cached direct buffer as large as the largest read, per thread.
 * Not thread-safe: one writer (the party's upload), then readers one at a time or after commit.
 */
final class Float32File implements AutoCloseable {

  /** Values per read (or unbuffered write); the direct buffer of each thread is four times this in bytes. */
  static final int PIECE_VALUES = 1 << 16;
  /** Values collected before a write: 64 KiB per file open for appends. */
  static final int PENDING_VALUES = 1 << 14;

  private static final ThreadLocal<ByteBuffer> IO_BUFFER = ThreadLocal.withInitial(
      () -> ByteBuffer.allocateDirect(PIECE_VALUES * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN));

  private final Path path;
  private final FileChannel channel;
  private ByteBuffer pending;
  private long written;

  private Float32File(Path path) throws IOException {
    this.path = path;
    this.channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  /** A new empty file in {@code directory} named {@code prefix...f32}. */
  static Float32File create(Path directory, String prefix) throws IOException {
    return new Float32File(Files.createTempFile(directory, prefix, ".f32"));
  }

  Path path() {
    return path;
  }

  /** Values appended so far (in the file or its buffer). */
  long values() {
    return written + pendingValues();
  }

  private int pendingValues() {
    return pending == null ? 0 : pending.position() / Float.BYTES;
  }

  private static final ThreadLocal<float[]> FROM_BUFFER = ThreadLocal.withInitial(() -> new float[PIECE_VALUES]);

  /** Appends {@code count} values read from {@code values} at its position (which does not move), piece by piece. */
  void append(FloatBuffer values, int count) throws IOException {
    float[] piece = FROM_BUFFER.get();
    for (int done = 0; done < count; ) {
      int n = Math.min(piece.length, count - done);
      values.get(values.position() + done, piece, 0, n);
      append(piece, 0, n);
      done += n;
    }
  }

  /**
   * Appends {@code src[at..at+count)}, all or nothing: on failure (the file cannot be written) the
   * count does not move and the values appended before stay readable.
   */
  void append(float[] src, int at, int count) throws IOException {
    if (pending == null) {
      pending = ByteBuffer.allocate(PENDING_VALUES * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }
    if (pending.remaining() < count * Float.BYTES) {
      writePending(); // only earlier values: if it fails, none of these is in
    }
    if (count <= PENDING_VALUES) {
      pending.asFloatBuffer().put(src, at, count);
      pending.position(pending.position() + count * Float.BYTES);
      return;
    }
    // larger than the buffer: straight to the file; the count moves only once all of it is there
    ByteBuffer buffer = IO_BUFFER.get();
    long position = written * Float.BYTES;
    for (int done = 0; done < count; ) {
      int piece = Math.min(PIECE_VALUES, count - done);
      buffer.clear();
      buffer.asFloatBuffer().put(src, at + done, piece);
      buffer.limit(piece * Float.BYTES);
      while (buffer.hasRemaining()) {
        position += channel.write(buffer, position);
      }
      done += piece;
    }
    written += count;
  }

  /** Writes the buffered values to the file and frees the buffer (no more appends expected). */
  void flush() throws IOException {
    if (pending != null) {
      writePending();
      pending = null;
    }
  }

  private void writePending() throws IOException {
    ByteBuffer out = pending.duplicate().flip();
    long position = written * Float.BYTES;
    while (out.hasRemaining()) {
      position += channel.write(out, position);
    }
    written += pendingValues();
    pending.clear();
  }

  /** Reads {@code count} values from value index {@code from} into {@code dst[at..]}. */
  void read(long from, float[] dst, int at, int count) throws IOException {
    if (from < 0 || count < 0 || from + count > values()) {
      throw new IllegalArgumentException("values " + from + ".." + (from + count) + " of a file of " + values());
    }
    int fromFile = (int) Math.max(0, Math.min(count, written - from));
    readFile(from, dst, at, fromFile);
    if (fromFile < count) {
      // the tail still in the append buffer
      int start = (int) (from + fromFile - written);
      pending.duplicate().flip().position(start * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
          .get(dst, at + fromFile, count - fromFile);
    }
  }

  private void readFile(long from, float[] dst, int at, int count) throws IOException {
    ByteBuffer buffer = IO_BUFFER.get();
    long position = from * Float.BYTES;
    int done = 0;
    while (done < count) {
      int piece = Math.min(PIECE_VALUES, count - done);
      buffer.clear().limit(piece * Float.BYTES);
      while (buffer.hasRemaining()) {
        int n = channel.read(buffer, position);
        if (n < 0) {
          throw new IOException(path + " ended at byte " + position + " before its " + written + " written values");
        }
        position += n;
      }
      buffer.flip();
      buffer.asFloatBuffer().get(dst, at + done, piece);
      done += piece;
    }
  }

  /** Closes and deletes the file. */
  @Override
  public void close() throws IOException {
    pending = null;
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(path);
    }
  }
}
