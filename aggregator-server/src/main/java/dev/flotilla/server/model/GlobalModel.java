package dev.flotilla.server.model;

import dev.flotilla.protocol.model.TensorSpec;
import java.util.List;

/**
 * One version of the job's global model: float32 values per tensor in layout order, read-only once
 * published (parties fetch it while the next round is being aggregated). Where the values live
 * (heap, file) is the implementation's business; readers copy what they need, block by block.
 */
public interface GlobalModel {

  long version();

  List<TensorSpec> specs();

  /** Copies {@code count} values of {@code tensor} from element {@code offset} into {@code dst[at..]}. */
  void read(int tensor, int offset, float[] dst, int at, int count);
}
