package dev.flotilla.protocol.tensor;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Decodes the data chunks of a tensor stream incrementally: each chunk is handed to a {@link Sink}
 * tensor by tensor, so the receiver can fold it and drop it. Not thread-safe; one per stream.
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
  private final long expectedValues;
  private int tensor;
  private int offset;
  private long received;

  public TensorStreamDecoder(List<TensorSpec> specs) {
    this(specs, TensorChunks.MAX_CHUNK_BYTES);
  }

  public TensorStreamDecoder(List<TensorSpec> specs, int maxChunkBytes) {
    this.specs = List.copyOf(specs);
    this.maxChunkBytes = maxChunkBytes;
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
    if (data.size() % Float.BYTES != 0) {
      throw new TensorStreamException("data chunk of " + data.size() + " bytes is not a whole number of float32 values");
    }
    long values = data.size() / Float.BYTES;
    if (received + pendingValues + values > expectedValues) {
      throw new TensorStreamException("stream carries more than the " + expectedValues
          + " float32 values of the model (" + (received + pendingValues + values) + " so far)");
    }
  }

  /** Checks the chunk (see {@link #check}) then hands its values to the sink. */
  public void accept(ByteString data, Sink sink) throws TensorStreamException {
    check(data);
    FloatBuffer values = data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
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
      throw new TensorStreamException("stream ended after " + received + " of " + expectedValues + " float32 values");
    }
  }
}
