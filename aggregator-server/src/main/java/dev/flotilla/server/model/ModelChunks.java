package dev.flotilla.server.model;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.ModelHeader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The FetchModel stream of a global model: its header, then data chunks read block by block from
 * the model as the transport asks for them (wherever it lives: a file, the heap). A download holds
 * one chunk; the model itself is never copied per download.
 *
 * <p>Chunks are {@value #CHUNK_BYTES} bytes, a quarter of the protocol's maximum: a chunk handed to
 * gRPC is buffered whole until written, so with a thousand parties fetching at once the chunk size
 * is what the downloads cost in memory (128 MiB instead of 1 GiB), while per-message overhead stays
 * negligible next to 128 KiB of values.
 */
public final class ModelChunks {

  public static final int CHUNK_BYTES = TensorChunks.MAX_CHUNK_BYTES / 8;

  private ModelChunks() {}

  public static Iterator<ModelChunk> stream(GlobalModel model) {
    return stream(model, CHUNK_BYTES);
  }

  /**
   * The whole model as FetchModel's data would carry it (float32 little-endian, layout order) when it
   * is at most {@code maxBytes}, for TrainRequest.model_values; else empty (the party fetches it).
   */
  public static ByteString inlineValues(GlobalModel model, int maxBytes) {
    long values = dev.flotilla.protocol.model.ModelSpecs.totalElements(model.specs());
    if (values * Float.BYTES > maxBytes) {
      return ByteString.EMPTY;
    }
    ByteBuffer bytes = ByteBuffer.allocate((int) values * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int t = 0; t < model.specs().size(); t++) {
      float[] tensor = new float[model.specs().get(t).numElements()];
      model.read(t, 0, tensor, 0, tensor.length);
      bytes.asFloatBuffer().put(tensor);
      bytes.position(bytes.position() + tensor.length * Float.BYTES);
    }
    return UnsafeByteOperations.unsafeWrap(bytes.array());
  }

  static Iterator<ModelChunk> stream(GlobalModel model, int chunkBytes) {
    int perChunk = chunkBytes / Float.BYTES;
    ModelChunk header = ModelChunk.newBuilder()
        .setHeader(ModelHeader.newBuilder().setModelVersion(model.version())
            .addAllTensors(TensorChunks.infos(model.specs())))
        .build();
    // no larger than the model: a small model's download is one small chunk, and every download allocates its block
    int blockValues = (int) Math.max(1, Math.min(perChunk, dev.flotilla.protocol.model.ModelSpecs.totalElements(model.specs())));
    return new Iterator<>() {
      private final float[] block = new float[blockValues];
      private boolean headerSent;
      private int tensor;
      private int offset;

      @Override
      public boolean hasNext() {
        skipFinishedTensors();
        return !headerSent || tensor < model.specs().size();
      }

      @Override
      public ModelChunk next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        if (!headerSent) {
          headerSent = true;
          return header;
        }
        // a chunk runs across tensor boundaries, as the wire's concatenated float32 values do
        int filled = 0;
        while (filled < block.length && tensor < model.specs().size()) {
          int n = Math.min(block.length - filled, model.specs().get(tensor).numElements() - offset);
          model.read(tensor, offset, block, filled, n);
          filled += n;
          offset += n;
          skipFinishedTensors();
        }
        ByteBuffer bytes = ByteBuffer.allocate(filled * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(block, 0, filled);
        return ModelChunk.newBuilder().setData(UnsafeByteOperations.unsafeWrap(bytes.array())).build();
      }

      private void skipFinishedTensors() {
        while (tensor < model.specs().size() && offset == model.specs().get(tensor).numElements()) {
          tensor++;
          offset = 0;
        }
      }
    };
  }
}
