package dev.flotilla.server.aggregation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A scratch file of float32 values (little-endian), appended in order and read back by value index
 * with positional reads. Values go through one small direct buffer per thread: NIO would otherwise
 * copy a heap buffer into a cached direct buffer as large as the largest write, per thread.
 * Not thread-safe for appends (one writer: the party's upload); positional reads may be concurrent.
 */
final class Float32File implements AutoCloseable {

  /** Values per transfer; the direct buffer of each thread is four times this in bytes. */
  static final int PIECE_VALUES = 1 << 16;

  private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(
      () -> ByteBuffer.allocateDirect(PIECE_VALUES * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN));

  private final Path path;
  private final FileChannel channel;
  private long values;

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

  /** Values appended so far. */
  long values() {
    return values;
  }

  /** Appends {@code src[at..at+count)}; on failure the values count stays where it was. */
  void append(float[] src, int at, int count) throws IOException {
    ByteBuffer buffer = BUFFER.get();
    long position = values * Float.BYTES;
    int done = 0;
    while (done < count) {
      int piece = Math.min(PIECE_VALUES, count - done);
      buffer.clear();
      buffer.asFloatBuffer().put(src, at + done, piece);
      buffer.limit(piece * Float.BYTES);
      while (buffer.hasRemaining()) {
        position += channel.write(buffer, position);
      }
      done += piece;
    }
    values += count;
  }

  /** Reads {@code count} values from value index {@code from} into {@code dst[at..]}. */
  void read(long from, float[] dst, int at, int count) throws IOException {
    if (from < 0 || from + count > values) {
      throw new IllegalArgumentException("values " + from + ".." + (from + count) + " of a file of " + values);
    }
    ByteBuffer buffer = BUFFER.get();
    long position = from * Float.BYTES;
    int done = 0;
    while (done < count) {
      int piece = Math.min(PIECE_VALUES, count - done);
      buffer.clear().limit(piece * Float.BYTES);
      while (buffer.hasRemaining()) {
        int n = channel.read(buffer, position);
        if (n < 0) {
          throw new IOException(path + " ended at byte " + position + " before its " + values + " values");
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
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(path);
    }
  }
}
