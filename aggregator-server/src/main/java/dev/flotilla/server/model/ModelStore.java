package dev.flotilla.server.model;

import dev.flotilla.protocol.model.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The versions of the global model as files in one directory ({@code <state-dir>/global/}), so the
 * server's memory does not grow with the model: each version is written once, block by block, as
 * the round's strategy produces it ({@link #writer}), then read by positional reads
 * ({@link FileModel}). The store keeps the current version and the one before it open (parties may
 * still be fetching it while the next round starts) and closes and deletes older ones: disk holds
 * at most three models (two published, one being written).
 *
 * <p>These files are working copies, not state: the checkpoint is what survives a restart, so the
 * store empties its directory when it opens.
 */
public final class ModelStore implements AutoCloseable {

  /** Versions kept open: the current one and its predecessor. */
  static final int KEPT = 2;
  private static final String SUFFIX = ".f32";

  private final Path directory;
  private final Deque<GlobalModel> published = new ArrayDeque<>();

  /** Opens (and empties) the store's directory. */
  public ModelStore(Path directory) throws IOException {
    this.directory = directory;
    Files.createDirectories(directory);
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(directory)) {
      for (Path p : leftovers) {
        Files.deleteIfExists(p);
      }
    }
  }

  public Path directory() {
    return directory;
  }

  /** A writer of one new version; publish it with {@link Writer#publish(long)}. */
  public Writer writer(List<TensorSpec> specs) throws IOException {
    return new Writer(specs);
  }

  /** Copies {@code model} into the store as its current version (the initial model, a resumed checkpoint's). */
  public FileModel copyOf(GlobalModel model) throws IOException {
    Writer writer = writer(model.specs());
    float[] block = new float[FileModel.BLOCK_BYTES / Float.BYTES];
    for (int t = 0; t < model.specs().size(); t++) {
      int length = model.specs().get(t).numElements();
      for (int done = 0; done < length; ) {
        int n = Math.min(block.length, length - done);
        model.read(t, done, block, 0, n);
        writer.write(t, done, block, 0, n);
        done += n;
      }
    }
    return writer.publish(model.version());
  }

  /**
   * Makes {@code model} (one not written by this store, e.g. a checkpoint's) the current version,
   * closed like the store's own once two newer versions were published.
   */
  public synchronized void adopt(GlobalModel model) throws IOException {
    push(model);
  }

  private synchronized void push(GlobalModel model) throws IOException {
    published.addLast(model);
    while (published.size() > KEPT) {
      if (published.removeFirst() instanceof FileModel old) {
        old.close();
      }
    }
  }

  /** Closes every open version (at shutdown). */
  @Override
  public synchronized void close() throws IOException {
    while (!published.isEmpty()) {
      if (published.removeFirst() instanceof FileModel f) {
        f.close();
      }
    }
  }

  /**
   * One version being written, sequentially: tensor by tensor in layout order, each value exactly
   * once, offsets ascending (as {@link ModelWriter} promises). Nothing is visible before
   * {@link #publish}; a writer abandoned with {@link #abort} leaves no file.
   */
  public final class Writer implements ModelWriter {

    private final List<TensorSpec> specs;
    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buffer;
    private int tensor;
    private long offset;

    private Writer(List<TensorSpec> specs) throws IOException {
      this.specs = List.copyOf(specs);
      // 1 MiB, or the model if smaller: a new buffer per version, and a small model's rounds come fast
      long bytes = Float.BYTES * dev.flotilla.protocol.model.ModelSpecs.totalElements(this.specs);
      this.buffer = ByteBuffer.allocateDirect((int) Math.max(Float.BYTES, Math.min(1 << 20, bytes)))
          .order(ByteOrder.LITTLE_ENDIAN);
      this.file = Files.createTempFile(directory, "next-", SUFFIX);
      this.channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
    }

    @Override
    public void write(int t, int at, float[] src, int from, int count) throws IOException {
      while (tensor < specs.size() && offset == specs.get(tensor).elementCount()) {
        tensor++;
        offset = 0;
      }
      if (t != tensor || at != offset) {
        throw new IllegalStateException("values of tensor " + t + " from " + at + " written where tensor " + tensor
            + " continues at " + offset + ": a model is written in layout order, each value once");
      }
      if (at + (long) count > specs.get(t).elementCount()) {
        throw new IllegalStateException(count + " values from " + at + " overrun tensor " + specs.get(t));
      }
      for (int done = 0; done < count; ) {
        int n = Math.min(count - done, buffer.remaining() / Float.BYTES);
        buffer.asFloatBuffer().put(src, from + done, n);
        buffer.position(buffer.position() + n * Float.BYTES);
        if (!buffer.hasRemaining()) {
          flush();
        }
        done += n;
      }
      offset += count;
    }

    /** Completes the version and makes it the store's current one. */
    public FileModel publish(long version) throws IOException {
      try {
        while (tensor < specs.size() && offset == specs.get(tensor).elementCount()) {
          tensor++;
          offset = 0;
        }
        if (tensor != specs.size()) {
          throw new IllegalStateException("version " + version + " is incomplete: tensor " + specs.get(tensor)
              + " has " + offset + " of " + specs.get(tensor).elementCount() + " values");
        }
        flush();
        Path named = directory.resolve("model-" + version + SUFFIX);
        Files.move(file, named, StandardCopyOption.REPLACE_EXISTING);
        FileModel model = FileModel.contiguous(version, specs, named, channel, 0, true);
        push(model);
        return model;
      } catch (IOException | RuntimeException e) {
        abort();
        throw e;
      }
    }

    /** Drops the version being written. */
    public void abort() throws IOException {
      channel.close();
      Files.deleteIfExists(file);
    }

    private void flush() throws IOException {
      buffer.flip();
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      buffer.clear();
    }
  }

  /** For messages and tests: the version files on disk. */
  List<Path> files() {
    try (var s = Files.list(directory)) {
      return s.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
