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
   * Checks the chunk (see {@link #check}) then hands its values to the sink in blocks of at most
   * {@link FloatKernels#BLOCK_VALUES}, each checked for NaN and infinity just before it is handed on
   * (so it is still in cache when the sink folds it). The sink sees a little-endian view of the
   * chunk's bytes (or of a per-thread buffer, for a block that straddles two buffers of the chunk),
   * valid only during the call: the check reads a copy of the bit patterns, and each value is copied
   * once more only by a sink that wants an array ({@link FloatKernels#addScaled} does it block-wise).
   * With the Vector API ({@link FloatKernels#VECTOR_API}) the check reads the chunk's bytes themselves,
   * so the sink's copy (if any) is the only one.
   * Values of a 2-byte encoding are widened into a per-thread float32 block, checked there (a NaN or
   * infinity stays one when widened) and handed on from it.
   *
   * @throws TensorStreamException naming the first NaN or infinite value ("tensor 'fc1.weight' element
   *     17 is NaN"); the blocks before it were handed to the sink already, so the caller discards the
   *     update
   */
  public void acceptFinite(ByteString data, Sink sink) throws TensorStreamException {
    check(data);
    Block block = BLOCK.get();
    Cursor cursor = new Cursor(data.asReadOnlyByteBufferList());
    long remaining = data.size() / encoding.bytesPerValue();
    while (remaining > 0) {
      int tensorSize = specs.get(tensor).numElements();
      int n = (int) Math.min(Math.min(remaining, FloatKernels.BLOCK_VALUES), tensorSize - offset);
      if (n > 0) {
        FloatBuffer values;
        int bad;
        if (encoding != WireEncoding.FLOAT32) {
          values = cursor.widen(block, n, encoding);
          bad = FloatKernels.firstNonFinite(block.bits, 0, n);
        } else if (FloatKernels.VECTOR_API) {
          // checked on the bytes themselves: no copy before the sink's own
          ByteBuffer bytes = cursor.next(block, n * Float.BYTES);
          bad = FloatKernels.firstNonFinite(bytes, n);
          values = bytes.asFloatBuffer().limit(n);
        } else {
          values = cursor.read(block, n);
          bad = FloatKernels.firstNonFinite(block.bits, 0, n);
        }
        if (bad >= 0) {
          throw new TensorStreamException(describe(received + bad) + " is " + values.get(bad));
        }
        sink.accept(tensor, offset, values, n);
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

  /** Per-thread room for one block: its bit patterns (for the plain finiteness check). */
  private static final class Block {
    final int[] bits = new int[FloatKernels.BLOCK_VALUES];
    /** A 2-byte encoding's values of the block, and the same widened to float32 (allocated on first use). */
    short[] halves;
    float[] widened;
    /** Joins a block that straddles two buffers of a chunk (a chunk parsed without copying is a list of them). */
    final ByteBuffer joined = ByteBuffer.allocate(FloatKernels.BLOCK_VALUES * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static final ThreadLocal<Block> BLOCK = ThreadLocal.withInitial(Block::new);

  /** Reads little-endian float32 blocks from the buffers of a chunk, in order. */
  private static final class Cursor {
    private final List<ByteBuffer> parts;
    private int part = -1;
    private ByteBuffer current = ByteBuffer.allocate(0);

    Cursor(List<ByteBuffer> parts) {
      this.parts = parts;
    }

    /** Copies the next n values' bit patterns into the block and returns a view of the values. */
    FloatBuffer read(Block block, int n) {
      return bitsAndView(next(block, n * Float.BYTES), block, n);
    }

    /** Widens the next n 2-byte values into the block's float32 bits and values, and returns a view of the values. */
    FloatBuffer widen(Block block, int n, WireEncoding encoding) {
      if (block.halves == null) {
        block.halves = new short[FloatKernels.BLOCK_VALUES];
        block.widened = new float[FloatKernels.BLOCK_VALUES];
      }
      next(block, n * encoding.bytesPerValue()).asShortBuffer().get(0, block.halves, 0, n);
      encoding.widen(block.halves, n, block.bits);
      for (int i = 0; i < n; i++) {
        block.widened[i] = Float.intBitsToFloat(block.bits[i]);
      }
      return FloatBuffer.wrap(block.widened, 0, n).slice();
    }

    /**
     * The next {@code bytes} bytes of the chunk, little-endian, from the buffer's position: a view of
     * the current buffer when they lie in it (the common case), else joined in the block's buffer.
     */
    ByteBuffer next(Block block, int bytes) {
      while (!current.hasRemaining() && part + 1 < parts.size()) {
        current = parts.get(++part).order(ByteOrder.LITTLE_ENDIAN);
      }
      if (current.remaining() >= bytes) {
        ByteBuffer view = current.slice().order(ByteOrder.LITTLE_ENDIAN);
        current.position(current.position() + bytes);
        return view;
      }
      ByteBuffer joined = block.joined;
      joined.clear();
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

    /** A bulk copy of the bits (views take the buffer's little-endian order; it runs at memory speed, unlike getInt in a loop). */
    private static FloatBuffer bitsAndView(ByteBuffer source, Block block, int n) {
      source.asIntBuffer().get(0, block.bits, 0, n);
      return source.asFloatBuffer().limit(n);
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
