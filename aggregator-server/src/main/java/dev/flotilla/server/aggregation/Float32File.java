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
 *
 * <p>The file itself is created with the first write: values that fit the buffer (a small model's
 * whole update) never touch the disk. Creating and deleting a file per upload was the largest
 * per-party cost of a round with a small model (ext4's inode allocation searching past recently
 * deleted inodes: about 40 % of the server's call threads at 100 parties; BENCHMARKS.md).
 * Not thread-safe: one writer (the party's upload), then readers one at a time or after commit.
 */
final class Float32File implements AutoCloseable {

  /** Values per read (or unbuffered write); the direct buffer of each thread is four times this in bytes. */
  static final int PIECE_VALUES = 1 << 16;
  /** Values collected before a write: 64 KiB per file open for appends. */
  static final int PENDING_VALUES = 1 << 14;

  private static final ThreadLocal<ByteBuffer> IO_BUFFER = ThreadLocal.withInitial(
      () -> ByteBuffer.allocateDirect(PIECE_VALUES * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN));

  private final Path directory;
  private final String prefix;
  /** Null until the first write. */
  private Path path;
  private FileChannel channel;
  private ByteBuffer pending;
  private long written;
  private boolean closed;

  private Float32File(Path directory, String prefix) {
    this.directory = directory;
    this.prefix = prefix;
  }

  /** A new empty file, to be created in {@code directory} as {@code prefix...f32} when the first values are written. */
  static Float32File create(Path directory, String prefix) {
    return new Float32File(directory, prefix);
  }

  /** The file, or null while every value is still in the buffer. */
  Path path() {
    return path;
  }

  private FileChannel channel() throws IOException {
    if (closed) {
      throw new IllegalStateException("the scratch file " + (path != null ? path : directory.resolve(prefix + "*"))
          + " is closed");
    }
    if (channel == null) {
      Path created = Files.createTempFile(directory, prefix, ".f32");
      try {
        channel = FileChannel.open(created, StandardOpenOption.READ, StandardOpenOption.WRITE);
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(created);
        throw e;
      }
      path = created;
    }
    return channel;
  }

  /** Values appended so far (in the file or its buffer). */
  long values() {
    return written + pendingValues();
  }

  private int pendingValues() {
    return pending == null ? 0 : pending.position() / Float.BYTES;
  }

  /**
   * Appends {@code count} values read from {@code values} at its position (which does not move),
   * all or nothing as {@link #append(float[], int, int)}: straight into the buffer (one bulk copy,
   * a memory copy when both are little-endian views of bytes), piece by piece through the file when
   * they do not fit.
   */
  void append(FloatBuffer values, int count) throws IOException {
    if (count > PENDING_VALUES) {
      appendLarge(values, count);
      return;
    }
    makeRoomFor(count);
    pending.asFloatBuffer().put(values.slice(values.position(), count));
    pending.position(pending.position() + count * Float.BYTES);
  }

  /** Larger than the buffer: after the buffered values, straight to the file; the count moves only once all of it is there. */
  private void appendLarge(FloatBuffer values, int count) throws IOException {
    if (pendingValues() > 0) {
      writePending();
    }
    ByteBuffer buffer = IO_BUFFER.get();
    long position = written * Float.BYTES;
    for (int done = 0; done < count; ) {
      int piece = Math.min(PIECE_VALUES, count - done);
      buffer.clear();
      buffer.asFloatBuffer().put(values.slice(values.position() + done, piece));
      buffer.limit(piece * Float.BYTES);
      position = writeFully(buffer, position);
      done += piece;
    }
    written += count;
  }

  /** A buffer with room for {@code count} (at most {@link #PENDING_VALUES}) more values: earlier ones go to the file if needed. */
  private void makeRoomFor(int count) throws IOException {
    if (pending == null) {
      pending = ByteBuffer.allocate(PENDING_VALUES * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }
    if (pending.remaining() < count * Float.BYTES) {
      writePending(); // only earlier values: if it fails, none of the new ones is in
    }
  }

  private long writeFully(ByteBuffer buffer, long position) throws IOException {
    FileChannel out = channel();
    while (buffer.hasRemaining()) {
      position += out.write(buffer, position);
    }
    return position;
  }

  /**
   * Appends {@code src[at..at+count)}, all or nothing: on failure (the file cannot be written) the
   * count does not move and the values appended before stay readable.
   */
  void append(float[] src, int at, int count) throws IOException {
    append(FloatBuffer.wrap(src, at, count).slice(), count);
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
    writeFully(out, written * Float.BYTES);
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
        int n = channel.read(buffer, position); // count > 0 here only when values were written, so the file exists
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

  /** Closes and deletes the file (if it was ever created). */
  @Override
  public void close() throws IOException {
    closed = true;
    pending = null;
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(path);
    }
  }
}
