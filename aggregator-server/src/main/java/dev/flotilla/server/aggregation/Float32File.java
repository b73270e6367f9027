package dev.flotilla.server.aggregation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

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
 * deleted inodes: about 40 % of the server's call threads at 100 parties; BENCHMARKS.md). With a
 * {@link SpoolMemory}, full buffers are kept on the heap while the round's budget has room, and
 * only when it has none do they all go to the file: writing to the page cache and reading back
 * cost more than the fold itself (BENCHMARKS.md).
 * Not thread-safe: one writer (the party's upload), then readers one at a time or after commit.
 */
final class Float32File implements AutoCloseable {

  /** Values per read (or unbuffered write); the direct buffer of each thread is four times this in bytes. */
  static final int PIECE_VALUES = 1 << 16;
  /** Values collected before a write: 64 KiB per file open for appends. */
  static final int PENDING_VALUES = 1 << 14;

  private static final ThreadLocal<ByteBuffer> IO_BUFFER = ThreadLocal.withInitial(
      () -> ByteBuffer.allocateDirect(PIECE_VALUES * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN));
  private static final ThreadLocal<float[]> READ_PIECE = ThreadLocal.withInitial(() -> new float[PIECE_VALUES]);

  /** Values handed over in order by {@link #readAll}: {@code values[at..at+count)}, valid during the call only. */
  @FunctionalInterface
  interface Pieces {
    void accept(float[] values, int at, int count) throws IOException;
  }

  /**
   * Values kept on the heap: the first {@code count} of a full append buffer ({@code values}), or of
   * received bytes kept as they are ({@code kept}, little-endian float32, never changed by anyone).
   */
  private record Held(float[] values, ByteBuffer kept, int count) {}

  private final Path directory;
  private final String prefix;
  /** Null: full buffers go to the file. */
  private final SpoolMemory memory;
  /** Null until the first write. */
  private Path path;
  private FileChannel channel;
  /** Values [0, written) are in the file, then those of held, then pending's. */
  private long written;
  private final List<Held> held = new ArrayList<>();
  private float[] pending;
  private int pendingCount;
  private boolean closed;

  private Float32File(Path directory, String prefix, SpoolMemory memory) {
    this.directory = directory;
    this.prefix = prefix;
    this.memory = memory;
  }

  /** A new empty file, to be created in {@code directory} as {@code prefix...f32} when the first values are written. */
  static Float32File create(Path directory, String prefix) {
    return new Float32File(directory, prefix, null);
  }

  /** As {@link #create(Path, String)}, keeping full buffers on the heap while {@code memory} has room. */
  static Float32File create(Path directory, String prefix, SpoolMemory memory) {
    return new Float32File(directory, prefix, memory);
  }

  /** The file, or null while every value is still in memory. */
  Path path() {
    return path;
  }

  /** Values appended so far (in the file or in memory). */
  long values() {
    long inMemory = pendingCount;
    for (Held h : held) {
      inMemory += h.count();
    }
    return written + inMemory;
  }

  /**
   * Appends {@code count} values read from {@code values} at its position (which does not move),
   * all or nothing: on failure (the file cannot be written) the count does not move and the values
   * appended before stay readable. One bulk copy into the buffer (a memory copy when {@code values}
   * is a little-endian view of bytes); more than a buffer's worth goes piece by piece to the file.
   */
  void append(FloatBuffer values, int count) throws IOException {
    requireOpen();
    if (count > PENDING_VALUES) {
      appendLarge(values, count);
      return;
    }
    if (pending == null) {
      pending = new float[PENDING_VALUES];
    }
    if (PENDING_VALUES - pendingCount < count) {
      retirePending(); // only earlier values: if it fails, none of the new ones is in
    }
    FloatBuffer.wrap(pending, pendingCount, count).put(values.slice(values.position(), count));
    pendingCount += count;
  }

  /**
   * Appends {@code count} little-endian float32 values of {@code values} from its position (which
   * does not move), all or nothing. The caller promises that those bytes never change (a received
   * chunk's): while the memory budget has room and nothing went to the file yet, they are kept as
   * they are, without a copy (and with them the chunk's memory); otherwise they are copied as by
   * {@link #append(FloatBuffer, int)}.
   */
  void appendKept(ByteBuffer values, int count) throws IOException {
    requireOpen();
    if (memory == null || written > 0) {
      append(values.asFloatBuffer(), count);
      return;
    }
    if (pendingCount > 0) {
      retirePending(); // the values before these keep their place in order
      if (written > 0) {
        append(values.asFloatBuffer(), count);
        return;
      }
    }
    long bytes = (long) count * Float.BYTES;
    if (!memory.reserve(bytes)) {
      append(values.asFloatBuffer(), count);
      return;
    }
    held.add(new Held(null, values.slice(values.position(), count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN), count));
  }

  /**
   * Appends {@code src[at..at+count)}, all or nothing: on failure (the file cannot be written) the
   * count does not move and the values appended before stay readable.
   */
  void append(float[] src, int at, int count) throws IOException {
    append(FloatBuffer.wrap(src, at, count).slice(), count);
  }

  /** The full (or nearly full) buffer is kept on the heap if the budget has room, else everything in memory goes to the file. */
  private void retirePending() throws IOException {
    float[] fresh = memory != null && written == 0 ? memory.take() : null;
    if (fresh != null) {
      held.add(new Held(pending, null, pendingCount));
      pending = fresh;
      pendingCount = 0;
      return;
    }
    writeMemoryToFile();
  }

  /** Larger than the buffer: after what is in memory, straight to the file; the count moves only once all of it is there. */
  private void appendLarge(FloatBuffer values, int count) throws IOException {
    writeMemoryToFile();
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

  /** Writes the buffered values to the file and frees the buffer (no more appends expected). */
  void flush() throws IOException {
    requireOpen();
    writeMemoryToFile();
    pending = null;
  }

  /**
   * The held buffers, then the pending one, to the end of the file; the count of written values
   * moves (and the memory goes back) only once all of it is there.
   */
  private void writeMemoryToFile() throws IOException {
    if (held.isEmpty() && pendingCount == 0) {
      return;
    }
    long position = written * Float.BYTES;
    long values = 0;
    for (Held h : held) {
      position = h.kept() != null ? writeKept(h.kept(), h.count(), position) : writeValues(h.values(), h.count(), position);
      values += h.count();
    }
    position = writeValues(pending, pendingCount, position);
    written += values + pendingCount;
    pendingCount = 0;
    releaseHeld();
  }

  private long writeValues(float[] values, int count, long position) throws IOException {
    ByteBuffer buffer = IO_BUFFER.get();
    for (int done = 0; done < count; ) {
      int piece = Math.min(PIECE_VALUES, count - done);
      buffer.clear();
      buffer.asFloatBuffer().put(values, done, piece);
      buffer.limit(piece * Float.BYTES);
      position = writeFully(buffer, position);
      done += piece;
    }
    return position;
  }

  private long writeKept(ByteBuffer kept, int count, long position) throws IOException {
    ByteBuffer buffer = IO_BUFFER.get();
    for (int done = 0; done < count; ) {
      int piece = Math.min(PIECE_VALUES, count - done);
      buffer.clear();
      buffer.put(kept.slice(done * Float.BYTES, piece * Float.BYTES));
      buffer.flip();
      position = writeFully(buffer, position);
      done += piece;
    }
    return position;
  }

  private long writeFully(ByteBuffer buffer, long position) throws IOException {
    FileChannel out = channel();
    while (buffer.hasRemaining()) {
      position += out.write(buffer, position);
    }
    return position;
  }

  private FileChannel channel() throws IOException {
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

  /** Reads {@code count} values from value index {@code from} into {@code dst[at..]}. */
  void read(long from, float[] dst, int at, int count) throws IOException {
    requireOpen();
    if (from < 0 || count < 0 || from + count > values()) {
      throw new IllegalArgumentException("values " + from + ".." + (from + count) + " of a file of " + values());
    }
    int[] filled = {0};
    visit(from, count, (values, offset, n) -> {
      System.arraycopy(values, offset, dst, at + filled[0], n);
      filled[0] += n;
    });
  }

  /** Hands every value over in order, without copying what is in memory (but for kept bytes). */
  void readAll(Pieces pieces) throws IOException {
    requireOpen();
    visit(0, values(), pieces);
  }

  /** Hands values [from, from+count) over in order, as {@link #readAll} does. */
  void read(long from, long count, Pieces pieces) throws IOException {
    requireOpen();
    if (from < 0 || count < 0 || from + count > values()) {
      throw new IllegalArgumentException("values " + from + ".." + (from + count) + " of a file of " + values());
    }
    visit(from, count, pieces);
  }

  /** Values [from, from+count) in order: from the file piece by piece through a buffer, from memory as they are. */
  private void visit(long from, long count, Pieces pieces) throws IOException {
    long end = from + count;
    long index = from;
    if (index < Math.min(end, written)) {
      float[] piece = READ_PIECE.get();
      while (index < Math.min(end, written)) {
        int n = (int) Math.min(piece.length, Math.min(end, written) - index);
        readFile(index, piece, n);
        pieces.accept(piece, 0, n);
        index += n;
      }
    }
    long base = written;
    for (Held h : held) {
      index = h.kept() != null ? visitKept(h.kept(), h.count(), base, index, end, pieces)
          : visitBlock(h.values(), h.count(), base, index, end, pieces);
      base += h.count();
    }
    visitBlock(pending, pendingCount, base, index, end, pieces);
  }

  /** The part of [index, end) that lies in a block of memory whose first value has index base; returns where it stopped. */
  private static long visitBlock(float[] values, int count, long base, long index, long end, Pieces pieces)
      throws IOException {
    if (index >= end || index >= base + count) {
      return index;
    }
    int start = (int) (index - base);
    int n = (int) Math.min(count - start, end - index);
    pieces.accept(values, start, n);
    return index + n;
  }

  /** As {@link #visitBlock}, for kept bytes: copied piece by piece into a per-thread array (only a discard or a late fold reads them). */
  private static long visitKept(ByteBuffer kept, int count, long base, long index, long end, Pieces pieces)
      throws IOException {
    float[] piece = READ_PIECE.get();
    while (index < end && index < base + count) {
      int start = (int) (index - base);
      int n = (int) Math.min(Math.min(count - start, end - index), piece.length);
      kept.asFloatBuffer().get(start, piece, 0, n);
      pieces.accept(piece, 0, n);
      index += n;
    }
    return index;
  }

  private void readFile(long from, float[] dst, int count) throws IOException {
    ByteBuffer buffer = IO_BUFFER.get();
    long position = from * Float.BYTES;
    buffer.clear().limit(count * Float.BYTES);
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position); // only values that were written are read, so the file exists
      if (n < 0) {
        throw new IOException(path + " ended at byte " + position + " before its " + written + " written values");
      }
      position += n;
    }
    buffer.flip();
    buffer.asFloatBuffer().get(dst, 0, count);
  }

  /** Each held block stands for one taken from the memory (the buffer it replaced): they go back as many. */
  private void releaseHeld() {
    for (Held h : held) {
      if (h.kept() != null) {
        memory.release((long) h.count() * Float.BYTES);
      } else {
        memory.giveBack(h.values());
      }
    }
    held.clear();
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the scratch file " + (path != null ? path : directory.resolve(prefix + "*"))
          + " is closed");
    }
  }

  /** Closes and deletes the file (if it was ever created) and gives back the memory. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    releaseHeld();
    pending = null;
    pendingCount = 0;
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
