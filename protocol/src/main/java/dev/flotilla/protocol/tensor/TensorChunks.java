package dev.flotilla.protocol.tensor;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.ModelHeader;
import dev.flotilla.protocol.v1.TensorInfo;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Encodes tensors as the chunk streams of the wire protocol: little-endian values (float32, or an
 * update's 2-byte {@link WireEncoding}), concatenated in tensor order, cut into data chunks of at most {@link #MAX_CHUNK_BYTES}.
 * Encoding is lazy (one chunk at a time), so a sender that respects flow control holds one chunk.
 */
public final class TensorChunks {

  /** Largest data chunk on the wire: 1 MiB. */
  public static final int MAX_CHUNK_BYTES = 1 << 20;

  private TensorChunks() {}

  public static List<TensorInfo> infos(List<TensorSpec> specs) {
    List<TensorInfo> infos = new ArrayList<>(specs.size());
    for (TensorSpec s : specs) {
      infos.add(s.toInfo());
    }
    return infos;
  }

  /** Lazily cut the tensors into float32 data chunks of at most maxChunkBytes (rounded down to whole floats). */
  public static Iterator<ByteString> dataChunks(float[][] tensors, int maxChunkBytes) {
    return dataChunks(tensors, maxChunkBytes, WireEncoding.FLOAT32);
  }

  /** Lazily cut the tensors into data chunks of at most maxChunkBytes (rounded down to whole values) in the encoding. */
  public static Iterator<ByteString> dataChunks(float[][] tensors, int maxChunkBytes, WireEncoding encoding) {
    int valuesPerChunk = maxChunkBytes / encoding.bytesPerValue();
    if (valuesPerChunk <= 0) {
      throw new IllegalArgumentException("chunk size must hold at least one value: " + maxChunkBytes);
    }
    long total = 0;
    for (float[] t : tensors) {
      total += t.length;
    }
    final long totalValues = total;
    return new Iterator<>() {
      private int tensor = 0;
      private int offset = 0;
      private long emitted = 0;

      @Override
      public boolean hasNext() {
        return emitted < totalValues;
      }

      @Override
      public ByteString next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int count = (int) Math.min(valuesPerChunk, totalValues - emitted);
        ByteBuffer buffer = ByteBuffer.allocate(count * encoding.bytesPerValue()).order(ByteOrder.LITTLE_ENDIAN);
        int remaining = count;
        while (remaining > 0) {
          while (offset == tensors[tensor].length) {
            tensor++;
            offset = 0;
          }
          int n = Math.min(remaining, tensors[tensor].length - offset);
          encoding.encode(tensors[tensor], offset, n, buffer);
          offset += n;
          remaining -= n;
        }
        emitted += count;
        // the array is this chunk's alone and never written again: wrapped, not copied
        return UnsafeByteOperations.unsafeWrap(buffer.array());
      }
    };
  }

  /** The FetchModel stream: a header, then data chunks of at most 1 MiB. */
  public static Iterator<ModelChunk> modelStream(long modelVersion, List<TensorSpec> specs, float[][] tensors) {
    checkMatches(specs, tensors);
    ModelChunk header = ModelChunk.newBuilder()
        .setHeader(ModelHeader.newBuilder().setModelVersion(modelVersion).addAllTensors(infos(specs)))
        .build();
    return headerThenData(header, dataChunks(tensors, MAX_CHUNK_BYTES),
        data -> ModelChunk.newBuilder().setData(data).build());
  }

  /**
   * The SubmitUpdate stream: the given header (round, num_samples, metrics, encoding) completed
   * with the tensor list of specs, then data chunks of at most 1 MiB with the values in the
   * header's encoding (float32, bfloat16 or float16).
   *
   * @throws IllegalArgumentException when the header's encoding carries no float values
   */
  public static Iterator<UpdateChunk> updateStream(UpdateHeader header, List<TensorSpec> specs, float[][] tensors) {
    checkMatches(specs, tensors);
    WireEncoding encoding = WireEncoding.of(header.getEncoding());
    UpdateChunk first = UpdateChunk.newBuilder()
        .setHeader(header.toBuilder().clearTensors().addAllTensors(infos(specs)))
        .build();
    return headerThenData(first, dataChunks(tensors, MAX_CHUNK_BYTES, encoding),
        data -> UpdateChunk.newBuilder().setData(data).build());
  }

  /** A lazy stream: the header message, then one message per data chunk, built as it is pulled. */
  private static <T> Iterator<T> headerThenData(
      T header, Iterator<ByteString> data, Function<ByteString, T> wrap) {
    return new Iterator<>() {
      private boolean headerSent;

      @Override
      public boolean hasNext() {
        return !headerSent || data.hasNext();
      }

      @Override
      public T next() {
        if (!headerSent) {
          headerSent = true;
          return header;
        }
        return wrap.apply(data.next());
      }
    };
  }

  /**
   * Checks a received tensor list against the expected layout.
   *
   * @throws TensorStreamException naming the first tensor whose name, shape or dtype differs
   */
  public static void checkLayout(List<TensorInfo> received, List<TensorSpec> expected) throws TensorStreamException {
    for (int i = 0; i < Math.min(received.size(), expected.size()); i++) {
      TensorInfo got = received.get(i);
      TensorSpec want = expected.get(i);
      if (!got.getName().equals(want.name())) {
        throw new TensorStreamException("tensor " + i + " is named '" + got.getName() + "', expected '" + want.name() + "'");
      }
      if (!want.sameShapeAs(got.getShapeList())) {
        throw new TensorStreamException("tensor '" + want.name() + "' has shape " + got.getShapeList()
            + ", expected " + want.shapeString());
      }
      if (got.getDtype() != want.dtype().toWire()) {
        throw new TensorStreamException("tensor '" + want.name() + "' has dtype " + got.getDtype() + ", expected "
            + want.dtype().toWire());
      }
    }
    if (received.size() != expected.size()) {
      throw new TensorStreamException("update lists " + received.size() + " tensors, expected " + expected.size()
          + (received.size() > expected.size() ? " (unexpected '" + received.get(expected.size()).getName() + "')"
              : " (missing '" + expected.get(received.size()).name() + "')"));
    }
  }

  /** Index of the first NaN or infinite float32 in a data chunk, or -1. */
  public static int firstNonFinite(ByteString data) {
    ByteBuffer buffer = data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    int n = buffer.remaining() / Float.BYTES;
    for (int i = 0; i < n; i++) {
      // exponent bits all ones = NaN or Inf
      if ((buffer.getInt(buffer.position() + i * Float.BYTES) & 0x7f800000) == 0x7f800000) {
        return i;
      }
    }
    return -1;
  }

  private static void checkMatches(List<TensorSpec> specs, float[][] tensors) {
    if (specs.size() != tensors.length) {
      throw new IllegalArgumentException("expected " + specs.size() + " tensors, got " + tensors.length);
    }
    for (int i = 0; i < tensors.length; i++) {
      if (tensors[i].length != specs.get(i).numElements()) {
        throw new IllegalArgumentException("tensor '" + specs.get(i).name() + "' has " + tensors[i].length
            + " values, expected " + specs.get(i).numElements());
      }
    }
  }
}
