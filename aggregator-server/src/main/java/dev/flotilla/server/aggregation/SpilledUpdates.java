package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.model.TensorSpec;
import java.io.IOException;
import java.util.List;

/**
 * The committed updates of a spilled round, read back block by block: for every block of the
 * layout, each update's values of that block land in a buffer reused for the whole pass. RAM is
 * parties x block values, the block shrinking as parties grow ({@link #blockValues}), so it stays
 * within {@value #BUFFER_BUDGET_VALUES} floats (64 MiB) for up to 16 384 parties, never parties x
 * model.
 *
 * <p>Positional reads rather than memory-mapping: a mapped update's pages count in the process's
 * RSS until the kernel reclaims them (with a hundred 1 GiB updates, far beyond any RSS budget), a
 * mapping is limited to 2 GiB per buffer, and unmapping is not under the program's control; a read
 * into a reused buffer costs one copy from the page cache, which the combining (sorting, distances)
 * outweighs.
 */
final class SpilledUpdates {

  /** Floats of read buffer across all parties. */
  static final int BUFFER_BUDGET_VALUES = 1 << 24;
  static final int MAX_BLOCK_VALUES = 1 << 16;
  static final int MIN_BLOCK_VALUES = 1 << 10;

  /** A committed update: its party, weight (sample count) and file (float32 LE, layout order). */
  record Update(String party, double weight, Float32File file) {}

  /** Receives one block: {@code values[p][0..count)} are update p's values of {@code tensor} from {@code offset}. */
  interface BlockVisitor {
    void block(int tensor, int offset, float[][] values, int count) throws IOException;
  }

  private final List<TensorSpec> specs;
  private final List<Update> updates;
  private final LayoutCursor layout;

  SpilledUpdates(List<TensorSpec> specs, List<Update> updates) {
    this.specs = specs;
    this.updates = List.copyOf(updates);
    this.layout = new LayoutCursor(specs);
  }

  /** The updates, ordered by party name. */
  List<Update> updates() {
    return updates;
  }

  int size() {
    return updates.size();
  }

  List<TensorSpec> specs() {
    return specs;
  }

  /** Values per block for {@code parties} buffers. */
  static int blockValues(int parties) {
    return Math.max(MIN_BLOCK_VALUES, Math.min(MAX_BLOCK_VALUES, BUFFER_BUDGET_VALUES / Math.max(1, parties)));
  }

  /** One pass over the whole layout, in layout order, reading the updates at {@code which} (indices into {@link #updates()}). */
  void forEachBlock(int[] which, BlockVisitor visitor) throws IOException {
    int block = blockValues(which.length);
    float[][] values = new float[which.length][block];
    for (int t = 0; t < specs.size(); t++) {
      int length = specs.get(t).numElements();
      // off advances by count, never past the length: off += block would overflow near 2^31 values
      for (int off = 0; off < length; ) {
        int count = Math.min(block, length - off);
        long index = layout.indexOf(t, off);
        for (int p = 0; p < which.length; p++) {
          updates.get(which[p]).file().read(index, values[p], 0, count);
        }
        visitor.block(t, off, values, count);
        off += count;
      }
    }
  }

  /** {@link #forEachBlock(int[], BlockVisitor)} over every update. */
  void forEachBlock(BlockVisitor visitor) throws IOException {
    int[] all = new int[updates.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    forEachBlock(all, visitor);
  }
}
