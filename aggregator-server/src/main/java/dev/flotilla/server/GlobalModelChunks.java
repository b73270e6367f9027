package dev.flotilla.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.ModelHeader;
import dev.flotilla.server.model.GlobalModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The FetchModel stream of a global model: its header, then data chunks of at most 1 MiB read from
 * the model block by block as the transport asks for them (one chunk per download in memory).
 */
final class GlobalModelChunks implements Iterator<ModelChunk> {

  private static final int VALUES_PER_CHUNK = TensorChunks.MAX_CHUNK_BYTES / Float.BYTES;

  private final GlobalModel model;
  private final float[] block;
  private boolean headerSent;
  private int tensor;
  private int offset;
  private long remaining;

  GlobalModelChunks(GlobalModel model) {
    this.model = model;
    long total = 0;
    for (var spec : model.specs()) {
      total += spec.numElements();
    }
    this.remaining = total;
    this.block = new float[(int) Math.min(VALUES_PER_CHUNK, Math.max(total, 1))];
  }

  @Override
  public boolean hasNext() {
    return !headerSent || remaining > 0;
  }

  @Override
  public ModelChunk next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    if (!headerSent) {
      headerSent = true;
      return ModelChunk.newBuilder().setHeader(ModelHeader.newBuilder().setModelVersion(model.version())
          .addAllTensors(TensorChunks.infos(model.specs()))).build();
    }
    int count = (int) Math.min(VALUES_PER_CHUNK, remaining);
    ByteBuffer bytes = ByteBuffer.allocate(count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    int filled = 0;
    while (filled < count) {
      int length = model.specs().get(tensor).numElements();
      if (offset == length) {
        tensor++;
        offset = 0;
        continue;
      }
      int n = Math.min(count - filled, length - offset);
      model.read(tensor, offset, block, 0, n);
      bytes.asFloatBuffer().put(block, 0, n);
      bytes.position(bytes.position() + n * Float.BYTES);
      offset += n;
      filled += n;
    }
    remaining -= count;
    bytes.flip();
    ByteString data = UnsafeByteOperations.unsafeWrap(bytes);
    return ModelChunk.newBuilder().setData(data).build();
  }
}
