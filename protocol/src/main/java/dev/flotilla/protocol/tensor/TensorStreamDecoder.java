package dev.flotilla.protocol.tensor;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Decodes the data chunks of a tensor stream incrementally: each chunk is handed to a {@link Sink}
 * tensor by tensor, so the receiver can fold it and drop it. Values of a 2-byte {@link WireEncoding}
 * are widened to float32 first (sinks always see float32). Not thread-safe; one per stream.
 */
public final class TensorStreamDecoder {

  /** Receives the values of one chunk that fall into one tensor. */
  @FunctionalInterface
  public interface Sink {
    /**
     * @param tensor index of the tensor in the layout
     * @param offset index in the tensor of the first value
     * @param values the values, from its position, count of them (do not keep the buffer)
     */
    void accept(int tensor, int offset, FloatBuffer values, int count);
  }

  private final List<TensorSpec> specs;
  private final int maxChunkBytes;
  private final WireEncoding encoding;
  private final long expectedValues;
  private int tensor;
  private int offset;
  private long received;

  public TensorStreamDecoder(List<TensorSpec> specs) {
    this(specs, TensorChunks.MAX_CHUNK_BYTES);
  }

  public TensorStreamDecoder(List<TensorSpec> specs, int maxChunkBytes) {
    this(specs, maxChunkBytes, WireEncoding.FLOAT32);
  }

  /** A decoder of a stream whose values are in the given encoding (an update's header names it). */
  public TensorStreamDecoder(List<TensorSpec> specs, WireEncoding encoding) {
    this(specs, TensorChunks.MAX_CHUNK_BYTES, encoding);
  }

  public TensorStreamDecoder(List<TensorSpec> specs, int maxChunkBytes, WireEncoding encoding) {
    this.specs = List.copyOf(specs);
    this.maxChunkBytes = maxChunkBytes;
    this.encoding = encoding;
    this.expectedValues = ModelSpecs.totalElements(specs);
  }

  /**
   * Checks a chunk without consuming it: size, alignment and room left in the layout.
   *
   * @throws TensorStreamException saying what is wrong with the chunk
   */
  public void check(ByteString data) throws TensorStreamException {
    check(data, 0);
  }

  /**
   * Like {@link #check(ByteString)}, for a receiver that holds pendingValues already checked but
   * not yet handed to {@link #accept} (it folds one chunk behind, to refuse a bad stream before
   * folding anything of it).
   */
  public void check(ByteString data, long pendingValues) throws TensorStreamException {
    if (data.size() > maxChunkBytes) {
      throw new TensorStreamException("data chunk of " + data.size() + " bytes exceeds the limit of " + maxChunkBytes + " bytes");
    }
    if (data.size() % encoding.bytesPerValue() != 0) {
      throw new TensorStreamException("data chunk of " + data.size() + " bytes is not a whole number of "
          + encoding.describe() + " values");
    }
    long values = data.size() / encoding.bytesPerValue();
    if (received + pendingValues + values > expectedValues) {
      throw new TensorStreamException("stream carries more than the " + expectedValues
          + " " + encoding.describe() + " values of the model (" + (received + pendingValues + values) + " so far)");
    }
  }

  /** Checks the chunk (see {@link #check}) then hands its values to the sink. */
  public void accept(ByteString data, Sink sink) throws TensorStreamException {
    check(data);
    FloatBuffer values = encoding == WireEncoding.FLOAT32
        ? data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer() : widened(data);
    while (values.hasRemaining()) {
      int tensorSize = specs.get(tensor).numElements();
      int n = Math.min(values.remaining(), tensorSize - offset);
      int start = values.position();
      sink.accept(tensor, offset, values, n);
      values.position(start + n);
      offset += n;
      received += n;
      if (offset == tensorSize) {
        tensor++;
        offset = 0;
      }
    }
  }

  /** A 2-byte chunk's values as float32. */
  private FloatBuffer widened(ByteString data) {
    int n = data.size() / encoding.bytesPerValue();
    short[] halves = new short[n];
    data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(halves);
    int[] bits = new int[n];
    encoding.widen(halves, n, bits);
    FloatBuffer values = FloatBuffer.allocate(n);
    for (int i = 0; i < n; i++) {
      values.put(i, Float.intBitsToFloat(bits[i]));
    }
    return values;
  }

  /**
   * Receives the values of one chunk that fall into one tensor as float32 bytes, and checks them for
   * NaN and infinity itself: a sink that folds them can check in the same pass (see {@link
   * #acceptChecking}).
   */
  @FunctionalInterface
  public interface CheckingSink {
    /**
     * @param tensor index of the tensor in the layout
     * @param offset index in the tensor of the first value
     * @param values {@code count} little-endian float32 values from its position: a view of the
     *     chunk's own bytes (or of a copy made for this call), which never change, so the sink may keep
     *     it (and with it the chunk's memory); over the chunk's array where it has one ({@link
     *     ChunkViews}), so the sink must not write into it
     * @return the index (from the position) of the first NaN or infinite value, the update then being
     *     refused (what the sink took of it the caller discards); or -1 when every value is finite
     */
    int accept(int tensor, int offset, ByteBuffer values, int count);
  }

  /**
   * Checks the chunk (see {@link #check}) then hands its values, unchecked, to the sink in blocks of
   * at most {@link FloatKernels#BLOCK_VALUES} that never cross a tensor; the sink checks them for NaN
   * and infinity (the receive path's single pass: it checks while it folds). Values of a 2-byte
   * encoding are widened into a new float32 block first (a NaN or infinity stays one when widened).
   *
   * @throws TensorStreamException naming the first NaN or infinite value the sink reported ("tensor
   *     'fc1.weight' element 17 is NaN"); the blocks before it were handed to the sink already, so the
   *     caller discards the update
   */
  public void acceptChecking(ByteString data, CheckingSink sink) throws TensorStreamException {
    check(data);
    Cursor cursor = new Cursor(ChunkViews.of(data));
    long remaining = data.size() / encoding.bytesPerValue();
    while (remaining > 0) {
      int tensorSize = specs.get(tensor).numElements();
      int n = (int) Math.min(Math.min(remaining, FloatKernels.BLOCK_VALUES), tensorSize - offset);
      if (n > 0) {
        ByteBuffer values = encoding == WireEncoding.FLOAT32 ? cursor.next(n * Float.BYTES) : cursor.widen(n, encoding);
        int bad = sink.accept(tensor, offset, values, n);
        if (bad >= 0) {
          throw new TensorStreamException(describe(received + bad) + " is " + values.getFloat(values.position() + bad * Float.BYTES));
        }
        offset += n;
        received += n;
        remaining -= n;
      }
      if (offset == tensorSize) {
        tensor++;
        offset = 0;
      }
    }
  }

  /**
   * Like {@link #acceptChecking}, for a sink that wants checked values: each block is checked for NaN
   * and infinity just before it is handed on (so it is still in cache when the sink reads it); a block
   * that holds one is not handed on. The sink sees a little-endian view of the chunk's bytes, valid
   * only during the call.
   *
   * @throws TensorStreamException naming the first NaN or infinite value; the blocks before it were
   *     handed to the sink already, so the caller discards the update
   */
  public void acceptFinite(ByteString data, Sink sink) throws TensorStreamException {
    acceptChecking(data, (tensor, offset, values, count) -> {
      int bad = FloatKernels.firstNonFinite(values, count);
      if (bad < 0) {
        sink.accept(tensor, offset, values.asFloatBuffer().limit(count), count);
      }
      return bad;
    });
  }

  /** Reads little-endian blocks from the buffers of a chunk, in order. */
  private static final class Cursor {
    private final List<ByteBuffer> parts;
    private int part = -1;
    private ByteBuffer current = ByteBuffer.allocate(0);

    Cursor(List<ByteBuffer> parts) {
      this.parts = parts;
    }

    /** Widens the next n 2-byte values into a new little-endian float32 block. */
    ByteBuffer widen(int n, WireEncoding encoding) {
      short[] halves = new short[n];
      next(n * encoding.bytesPerValue()).asShortBuffer().get(0, halves, 0, n);
      int[] bits = new int[n];
      encoding.widen(halves, n, bits);
      ByteBuffer widened = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      widened.asIntBuffer().put(bits, 0, n);
      return widened;
    }

    /**
     * The next {@code bytes} bytes of the chunk, little-endian, from the buffer's position: a view of
     * the current buffer when they lie in it (the common case), else a copy joining the buffers.
     */
    ByteBuffer next(int bytes) {
      while (!current.hasRemaining() && part + 1 < parts.size()) {
        current = parts.get(++part).order(ByteOrder.LITTLE_ENDIAN);
      }
      if (current.remaining() >= bytes) {
        ByteBuffer view = current.slice().limit(bytes).order(ByteOrder.LITTLE_ENDIAN);
        current.position(current.position() + bytes);
        return view;
      }
      ByteBuffer joined = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
      while (joined.position() < bytes) {
        while (!current.hasRemaining()) {
          current = parts.get(++part).order(ByteOrder.LITTLE_ENDIAN);
        }
        int take = Math.min(current.remaining(), bytes - joined.position());
        joined.put(current.slice().limit(take));
        current.position(current.position() + take);
      }
      joined.flip();
      return joined;
    }
  }

  /** Where the value at a position of the stream lies, e.g. "tensor 'fc1.weight' element 17". */
  public String describe(long valueIndex) {
    long start = 0;
    for (TensorSpec spec : specs) {
      if (valueIndex < start + spec.numElements()) {
        return "tensor '" + spec.name() + "' element " + (valueIndex - start);
      }
      start += spec.numElements();
    }
    return "value " + valueIndex + " (beyond the model)";
  }

  public boolean isComplete() {
    return received == expectedValues;
  }

  public long valuesReceived() {
    return received;
  }

  public long valuesExpected() {
    return expectedValues;
  }

  /** @throws TensorStreamException if the stream ended before all values arrived */
  public void requireComplete() throws TensorStreamException {
    if (!isComplete()) {
      throw new TensorStreamException("stream ended after " + received + " of " + expectedValues + " "
          + encoding.describe() + " values");
    }
  }
}
