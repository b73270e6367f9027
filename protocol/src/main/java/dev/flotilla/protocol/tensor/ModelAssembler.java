package dev.flotilla.protocol.tensor;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.ModelHeader;
import java.util.Iterator;
import java.util.List;

/**
 * Rebuilds a whole model from a FetchModel stream (header, then data chunks), checking the header
 * against the expected layout. For the receiving side of a party, which needs the full weights.
 */
public final class ModelAssembler {

  private final List<TensorSpec> specs;
  private final TensorStreamDecoder decoder;
  private final float[][] tensors;
  private ModelHeader header;

  public ModelAssembler(List<TensorSpec> specs) {
    this.specs = List.copyOf(specs);
    this.decoder = new TensorStreamDecoder(specs);
    // a tensor's array is made when its first values arrive: the layout may come from the server
    // (JoinResponse.tensors), so memory is spent only on values actually received and checked
    this.tensors = new float[specs.size()][];
  }

  /** Folds the next chunk of the stream in. */
  public void accept(ModelChunk chunk) throws TensorStreamException {
    switch (chunk.getPayloadCase()) {
      case HEADER -> {
        if (header != null) {
          throw new TensorStreamException("second header chunk in the model stream");
        }
        TensorChunks.checkLayout(chunk.getHeader().getTensorsList(), specs);
        header = chunk.getHeader();
      }
      case DATA -> {
        if (header == null) {
          throw new TensorStreamException("data chunk before the header chunk");
        }
        decoder.accept(chunk.getData(), (t, off, values, n) -> {
          if (tensors[t] == null) {
            tensors[t] = new float[specs.get(t).numElements()];
          }
          values.get(tensors[t], off, n);
        });
      }
      default -> throw new TensorStreamException("empty chunk in the model stream");
    }
  }

  public boolean isComplete() {
    return header != null && decoder.isComplete();
  }

  public long modelVersion() {
    if (header == null) {
      throw new IllegalStateException("no header received");
    }
    return header.getModelVersion();
  }

  /** The weights, once the stream completed. */
  public float[][] tensors() throws TensorStreamException {
    if (header == null) {
      throw new TensorStreamException("model stream had no header");
    }
    decoder.requireComplete();
    return tensors;
  }

  /** Reads a whole (blocking) stream, e.g. from a blocking stub's FetchModel. */
  public static Decoded readAll(List<TensorSpec> specs, Iterator<ModelChunk> stream) throws TensorStreamException {
    ModelAssembler assembler = new ModelAssembler(specs);
    while (stream.hasNext()) {
      assembler.accept(stream.next());
    }
    return new Decoded(assembler.modelVersion(), assembler.tensors());
  }

  /**
   * A whole model sent inline (TrainRequest.model_values): float32 values that must fill the layout
   * exactly, checked as a FetchModel stream's data would be.
   */
  public static Decoded fromValues(List<TensorSpec> specs, long modelVersion, ByteString values)
      throws TensorStreamException {
    ModelAssembler assembler = new ModelAssembler(specs);
    assembler.header = ModelHeader.newBuilder().setModelVersion(modelVersion).build();
    assembler.accept(ModelChunk.newBuilder().setData(values).build());
    return new Decoded(modelVersion, assembler.tensors());
  }

  public record Decoded(long modelVersion, float[][] tensors) {}
}
