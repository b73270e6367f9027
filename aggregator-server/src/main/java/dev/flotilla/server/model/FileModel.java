package dev.flotilla.server.model;

import dev.flotilla.protocol.model.TensorSpec;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A global model whose values stay in a file (float32 little-endian, each tensor contiguous) and
 * are read by positional reads: neither the heap nor the process's resident memory holds the model,
 * only the page cache does, which the kernel shares and reclaims. Readers on any number of threads
 * (parties fetching, strategies folding, checkpoint and export) read concurrently through one channel.
 *
 * <p>The file is a {@link ModelStore} version file or the global model's section of a checkpoint;
 * {@link #close()} closes the channel (and deletes a store's file): reads after it fail.
 */
public final class FileModel implements GlobalModel, AutoCloseable {

  /** Bytes read per positional read: large enough to amortise the call, small enough to stay in cache. */
  static final int BLOCK_BYTES = 1 << 16;
  private static final ThreadLocal<ByteBuffer> BLOCKS =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN));

  private final long version;
  private final List<TensorSpec> specs;
  private final Path file;
  private final FileChannel channel;
  private final long[] starts;
  private final boolean deleteOnClose;

  /**
   * @param starts byte position of each tensor's first value in the file
   * @param deleteOnClose whether the file is the model's own (a store's version file), to delete on close
   */
  FileModel(long version, List<TensorSpec> specs, Path file, FileChannel channel, long[] starts, boolean deleteOnClose) {
    if (starts.length != specs.size()) {
      throw new IllegalArgumentException(starts.length + " tensor positions for a layout of " + specs.size());
    }
    this.version = version;
    this.specs = List.copyOf(specs);
    this.file = file;
    this.channel = channel;
    this.starts = starts.clone();
    this.deleteOnClose = deleteOnClose;
  }

  /**
   * A model over tensors stored one after the other from {@code start}, as {@link ModelStore}
   * writes them; the file must be at least that long.
   */
  static FileModel contiguous(long version, List<TensorSpec> specs, Path file, FileChannel channel, long start,
      boolean deleteOnClose) throws IOException {
    long[] starts = new long[specs.size()];
    long at = start;
    for (int t = 0; t < starts.length; t++) {
      starts[t] = at;
      at += specs.get(t).elementCount() * Float.BYTES;
    }
    if (channel.size() < at) {
      throw new IOException("model file " + file + " has " + channel.size() + " bytes, its layout needs " + at);
    }
    return new FileModel(version, specs, file, channel, starts, deleteOnClose);
  }

  /**
   * A model stored in a section of a file that is not the model's own (a checkpoint): tensor
   * {@code t}'s values start at byte {@code starts[t]}; the model owns {@code channel} and closes it.
   */
  public static FileModel section(long version, List<TensorSpec> specs, Path file, FileChannel channel, long[] starts) {
    return new FileModel(version, specs, file, channel, starts, false);
  }

  /** The same values under another layout with the same element counts (a legacy checkpoint's). */
  public FileModel withSpecs(List<TensorSpec> newSpecs) {
    if (newSpecs.size() != specs.size()) {
      throw new IllegalArgumentException(newSpecs.size() + " tensors for a model of " + specs.size());
    }
    for (int t = 0; t < specs.size(); t++) {
      if (newSpecs.get(t).elementCount() != specs.get(t).elementCount()) {
        throw new IllegalArgumentException("tensor " + t + " has " + specs.get(t).elementCount() + " values, "
            + newSpecs.get(t) + " needs " + newSpecs.get(t).elementCount());
      }
    }
    return new FileModel(version, newSpecs, file, channel, starts, deleteOnClose);
  }

  @Override
  public long version() {
    return version;
  }

  @Override
  public List<TensorSpec> specs() {
    return specs;
  }

  /**
   * @throws UncheckedIOException when the file cannot be read (or the model was closed: a newer
   *     version replaced it while this reader was still at it)
   */
  @Override
  public void read(int tensor, int offset, float[] dst, int at, int count) {
    if (offset < 0 || count < 0 || (long) offset + count > specs.get(tensor).elementCount()) {
      throw new IndexOutOfBoundsException("values " + offset + ".." + ((long) offset + count) + " of tensor "
          + specs.get(tensor) + " (" + specs.get(tensor).elementCount() + " values)");
    }
    ByteBuffer block = BLOCKS.get();
    long position = starts[tensor] + (long) offset * Float.BYTES;
    try {
      for (int done = 0; done < count; ) {
        int n = Math.min(count - done, BLOCK_BYTES / Float.BYTES);
        block.clear().limit(n * Float.BYTES);
        while (block.hasRemaining()) {
          if (channel.read(block, position + block.position()) < 0) {
            throw new EOFException("model file " + file + " ends at byte " + (position + block.position()));
          }
        }
        block.flip();
        block.asFloatBuffer().get(dst, at + done, n);
        position += (long) n * Float.BYTES;
        done += n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read version " + version + " of the global model from " + file, e);
    }
  }

  /** Closes the channel; a store's version file is deleted. */
  @Override
  public void close() throws IOException {
    channel.close();
    if (deleteOnClose) {
      Files.deleteIfExists(file);
    }
  }

  @Override
  public String toString() {
    return "version " + version + " of the global model in " + file;
  }
}
