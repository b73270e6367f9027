package dev.flotilla.server.round;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.TensorStreamDecoder;
import dev.flotilla.protocol.tensor.TensorStreamException;
import dev.flotilla.server.aggregate.WeightedSum;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * An update on its way in while --max-update-norm is set. Its L2 distance from the global model is
 * only known once the last chunk arrived, but the running sum is folded chunk by chunk; so the
 * checked chunks are appended to a file in the state directory while the squared distance is
 * summed, and only on completion is the update folded, read back one chunk at a time with the
 * norm bound applied: weight * (global + s * (update - global)) = weight * s * update + weight *
 * (1 - s) * global. A refused update thus leaves no trace in the sum for any model size, a clipped
 * one is exact, and server memory stays O(model) (one chunk here, the sum and the global model
 * there); the disk holds at most one update per party, as a party has one SubmitUpdate at a time.
 * (Two passes over the upload itself would need the party to send it twice; keeping each upload
 * in memory would make memory O(parties x model).)
 */
final class SpooledUpdate implements AutoCloseable {

  private final Path file;
  private final FileChannel out;
  private final float[][] base;
  private double squaredDistance;

  private SpooledUpdate(Path file, float[][] base) throws IOException {
    this.file = file;
    this.base = base;
    this.out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
  }

  /** {@code <state-dir>/spool}, created if needed and emptied of updates a previous process left half-received. */
  static Path emptyDirectoryIn(Path stateDir) throws IOException {
    Path spool = Files.createDirectories(stateDir.resolve("spool"));
    try (var stale = Files.list(spool)) {
      for (Path p : (Iterable<Path>) stale::iterator) {
        Files.deleteIfExists(p);
      }
    }
    return spool;
  }

  /** A new spool file in {@code directory} for an update trained from {@code base}. */
  static SpooledUpdate create(Path directory, float[][] base) throws IOException {
    return new SpooledUpdate(Files.createTempFile(directory, "update-", ".f32"), base);
  }

  /** Takes a checked data chunk: sums its squared distance from the base model and appends it to the file. */
  void append(ByteString data, TensorStreamDecoder decoder) throws IOException {
    try {
      decoder.accept(data, (tensor, offset, values, count) -> {
        float[] g = base[tensor];
        int start = values.position();
        double sum = 0;
        for (int i = 0; i < count; i++) {
          double d = (double) values.get(start + i) - g[offset + i];
          sum += d * d;
        }
        squaredDistance += sum;
      });
    } catch (TensorStreamException e) {
      throw new IllegalStateException("chunk was checked before spooling", e);
    }
    for (ByteBuffer b : data.asReadOnlyByteBufferList()) {
      while (b.hasRemaining()) {
        out.write(b);
      }
    }
  }

  /** The L2 distance of the data appended so far from the base model. */
  double distance() {
    return Math.sqrt(squaredDistance);
  }

  /** Folds weight * (base + scale * (update - base)) into the sum, reading the update back chunk by chunk. */
  void foldInto(WeightedSum sum, List<TensorSpec> specs, double weight, double scale) throws IOException {
    TensorStreamDecoder decoder = new TensorStreamDecoder(specs);
    ByteBuffer chunk = ByteBuffer.allocate(TensorChunks.MAX_CHUNK_BYTES);
    long position = 0;
    while (true) {
      chunk.clear();
      int n;
      while (chunk.hasRemaining() && (n = out.read(chunk, position)) > 0) {
        position += n;
      }
      if (chunk.position() == 0) {
        break;
      }
      chunk.flip();
      try {
        decoder.accept(UnsafeByteOperations.unsafeWrap(chunk), (t, off, values, count) ->
            sum.fold(t, off, values, count, weight * scale));
      } catch (TensorStreamException e) {
        throw new IOException("spool file " + file + " does not hold the update that was checked: " + e.getMessage(), e);
      }
    }
    if (!decoder.isComplete()) {
      throw new IOException("spool file " + file + " holds " + decoder.valuesReceived() + " of "
          + decoder.valuesExpected() + " values");
    }
    if (scale < 1) {
      int piece = 1 << 16;
      for (int t = 0; t < base.length; t++) {
        // off advances by count, never past the length: off += piece would overflow for a tensor near 2^31 values
        for (int off = 0; off < base[t].length; ) {
          int count = Math.min(piece, base[t].length - off);
          sum.fold(t, off, FloatBuffer.wrap(base[t], off, count), count, weight * (1 - scale));
          off += count;
        }
      }
    }
  }

  /** Deletes the spool file. */
  @Override
  public void close() throws IOException {
    try {
      out.close();
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
