package dev.flotilla.server.round;

import dev.flotilla.server.aggregate.WeightedSum;
import dev.flotilla.server.model.GlobalModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An update on its way in, kept in a file until it is complete (the {@link LegacyStrategy}'s
 * sink). Its L2 distance from the base model is summed as the values arrive; only on completion is
 * the update folded, read back from the file, with the norm bound applied: weight * (base + s *
 * (update - base)) = weight * s * update + weight * (1 - s) * base. A refused update thus leaves no
 * trace in the sum for any model size, a clipped one is exact, and memory stays O(chunk) here (the
 * sum and the base model are the aggregation's); the disk holds at most one update per party.
 */
final class SpooledUpdate implements AutoCloseable {

  private static final int BLOCK = 1 << 16;

  private final Path file;
  private final FileChannel out;
  private final GlobalModel base;
  private final float[] baseBlock = new float[BLOCK];
  private final ByteBuffer bytes = ByteBuffer.allocate(BLOCK * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private double squaredDistance;

  private SpooledUpdate(Path file, GlobalModel base) throws IOException {
    this.file = file;
    this.base = base;
    this.out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
  }

  /** A new spool file in {@code directory} for an update trained from {@code base}. */
  static SpooledUpdate create(Path directory, GlobalModel base) throws IOException {
    return new SpooledUpdate(Files.createTempFile(directory, "update-", ".f32"), base);
  }

  /** Takes checked values (in layout order): sums their squared distance from the base and appends them. */
  void append(int tensor, int offset, FloatBuffer values, int count) throws IOException {
    int start = values.position();
    for (int done = 0; done < count; ) {
      int n = Math.min(BLOCK, count - done);
      base.read(tensor, offset + done, baseBlock, 0, n);
      bytes.clear();
      double sum = 0;
      for (int i = 0; i < n; i++) {
        float v = values.get(start + done + i);
        double d = (double) v - baseBlock[i];
        sum += d * d;
        bytes.putFloat(v);
      }
      squaredDistance += sum;
      bytes.flip();
      while (bytes.hasRemaining()) {
        out.write(bytes);
      }
      done += n;
    }
  }

  /** The L2 distance of the values appended so far from the base model. */
  double distance() {
    return Math.sqrt(squaredDistance);
  }

  /** Folds weight * (base + scale * (update - base)) into the sum, reading the update back block by block. */
  void foldInto(WeightedSum sum, double weight, double scale) throws IOException {
    long position = 0;
    var specs = base.specs();
    for (int t = 0; t < specs.size(); t++) {
      long length = specs.get(t).numElements();
      // off advances by count, never past the length: off += BLOCK would overflow for a tensor near 2^31 values
      for (int off = 0; off < length; ) {
        int count = (int) Math.min(BLOCK, length - off);
        bytes.clear().limit(count * Float.BYTES);
        while (bytes.hasRemaining()) {
          if (out.read(bytes, position + bytes.position()) < 0) {
            throw new IOException("spool file " + file + " ends before the update that was checked");
          }
        }
        bytes.flip();
        sum.fold(t, off, bytes.asFloatBuffer(), count, weight * scale);
        if (scale < 1) {
          base.read(t, off, baseBlock, 0, count);
          sum.fold(t, off, FloatBuffer.wrap(baseBlock, 0, count), count, weight * (1 - scale));
        }
        position += (long) count * Float.BYTES;
        off += count;
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
