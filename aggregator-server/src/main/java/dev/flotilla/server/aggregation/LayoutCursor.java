package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.model.TensorSpec;
import java.util.List;

/**
 * Where the next value of an update lies in the layout (tensor, element), and where it lies in a
 * file holding the update's values back to back in layout order. Sinks use it to check that chunks
 * arrive in layout order, as {@link RoundAggregation#open} promises, so that the file needs no index.
 */
final class LayoutCursor {

  private final List<TensorSpec> specs;
  private final long[] tensorStart;
  private final long total;
  private int tensor;
  private int offset;

  LayoutCursor(List<TensorSpec> specs) {
    this.specs = specs;
    this.tensorStart = new long[specs.size()];
    long at = 0;
    for (int t = 0; t < specs.size(); t++) {
      tensorStart[t] = at;
      at += specs.get(t).numElements();
    }
    this.total = at;
  }

  /** Values of the whole layout. */
  long total() {
    return total;
  }

  /** The index, in a layout-ordered file, of element {@code offset} of {@code tensor}. */
  long indexOf(int tensor, int offset) {
    return tensorStart[tensor] + offset;
  }

  /** Values of {@code tensor}. */
  int length(int tensor) {
    return specs.get(tensor).numElements();
  }

  int tensors() {
    return specs.size();
  }

  /** Moves past {@code count} values of {@code tensor} from {@code offset}, which must be next in layout order. */
  void advance(int tensor, int offset, int count) {
    if (this.tensor < specs.size() && this.offset == specs.get(this.tensor).numElements()) {
      this.tensor++;
      this.offset = 0;
    }
    if (tensor != this.tensor || offset != this.offset || count <= 0
        || (long) offset + count > specs.get(tensor).numElements()) {
      throw new IllegalArgumentException("values " + offset + ".." + ((long) offset + count) + " of tensor " + tensor
          + " arrived where element " + this.offset + " of tensor " + this.tensor + " was next in layout order");
    }
    this.offset += count;
  }

  /** Whether every value of the layout was passed. */
  boolean complete() {
    return tensor == specs.size() - 1 && offset == specs.get(tensor).numElements()
        || tensor == specs.size();
  }
}
