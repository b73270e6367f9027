package dev.flotilla.server.aggregation;

import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.ModelWriter;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One attempt of a streaming strategy: every chunk is folded into a {@link RunningSum} as it
 * arrives, and {@link MeanStrategy#step} turns the weighted mean into the next model in {@link
 * #finish}. Memory is the sum (one model of doubles) plus a block.
 *
 * <h2>Taking back a discarded update</h2>
 * Each sink appends the values it folded to an undo journal in the spill directory (float32, layout
 * order, so no index) before folding them; commit deletes the journal, discard reads it back and
 * folds the same values with the negated weight, then deletes it. Memory stays O(model) and disk
 * holds at most the uploads in flight; the journal is usually deleted before the page cache writes
 * it back, so an honest round costs no reads. Its price is the write into the page cache: measured
 * at about three times the CPU of the fold itself (0.116 s vs 0.041 s per 256 MB, one thread).
 *
 * <p>Why the subtraction is exact enough: the kernel adds the double product {@code w * x} (w the
 * weight, x a float32) and the undo adds {@code -(w * x)}, the very same product negated, so the only
 * residue is the rounding of the additions in between: at most about 2^-53 times the largest partial
 * sum the coordinate held per fold while the update was in. Float32 results have 24 bits, so as long
 * as the discarded values are within some 2^20 of the honest sums (any update that training could
 * produce), the next model equals the model without that party to within one float32 ulp (asserted
 * by StreamingStrategiesTest). An update large enough to swamp the honest sums would ruin FedAvg just
 * as well when committed; the defences against such updates (--max-update-norm, a robust strategy)
 * spill each update and feed nothing to a sum before its commit, so their discards are exact.
 *
 * <p>Alternatives weighed: folding only at commit (spill, then read back and fold) makes every
 * discard exact but reads every update back once and does not overlap folding with the upload;
 * keeping a per-upload copy in memory is O(parties x model); an exact (fixed-point) sum of float32
 * values times 40-bit weights would need some 330 bits per coordinate; no journal at all, retrying
 * the round whenever a folded update is discarded, would make every straggler caught mid-upload by
 * the deadline (and every party that ends its upload with a non-finite value) cost everyone a
 * round of training.
 */
final class StreamingRound implements RoundAggregation {

  private static final int BLOCK_VALUES = 1 << 16;
  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[BLOCK_VALUES]);

  private final MeanStrategy strategy;
  private final GlobalModel base;
  private final Path spillDirectory;
  private final RunningSum sum;
  private final Set<Sink> open = ConcurrentHashMap.newKeySet();

  StreamingRound(MeanStrategy strategy, GlobalModel base, Path spillDirectory) {
    this.strategy = strategy;
    this.base = base;
    this.spillDirectory = spillDirectory;
    this.sum = new RunningSum(base.specs());
  }

  @Override
  public UpdateSink open(String party, double weight) throws IOException {
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException("update of party '" + party + "' has weight " + weight + "; expected > 0");
    }
    Sink sink = new Sink(party, weight, Float32File.create(spillDirectory, "undo-"));
    open.add(sink);
    return sink;
  }

  @Override
  public int committed() {
    return sum.committed();
  }

  @Override
  public void finish(ModelWriter next) throws IOException {
    if (sum.committed() == 0) {
      throw new IllegalStateException("no update was committed");
    }
    float[] mean = new float[BLOCK_VALUES];
    float[] from = strategy.movesFromBase() ? new float[BLOCK_VALUES] : null;
    for (int t = 0; t < base.specs().size(); t++) {
      int length = base.specs().get(t).numElements();
      // off advances by count, never past the length: off += BLOCK would overflow near 2^31 values
      for (int off = 0; off < length; ) {
        int count = Math.min(BLOCK_VALUES, length - off);
        sum.mean(t, off, mean, count);
        if (from != null) {
          base.read(t, off, from, 0, count);
        }
        strategy.step(t, off, from, mean, count);
        next.write(t, off, mean, 0, count);
        off += count;
      }
    }
  }

  @Override
  public void close() throws IOException {
    List<IOException> failures = new ArrayList<>();
    for (Sink s : open) {
      try {
        s.abandon();
      } catch (IOException e) {
        failures.add(e);
      }
    }
    if (!failures.isEmpty()) {
      IOException e = new IOException("could not delete " + failures.size() + " undo journal(s)", failures.get(0));
      failures.stream().skip(1).forEach(e::addSuppressed);
      throw e;
    }
  }

  /** One party's update: folded as it arrives, journaled so a discard can take it back. */
  private final class Sink implements UpdateSink {

    private final String party;
    private final double weight;
    private final Float32File journal;
    private final LayoutCursor cursor;
    private boolean ended;

    Sink(String party, double weight, Float32File journal) {
      this.party = party;
      this.weight = weight;
      this.journal = journal;
      this.cursor = new LayoutCursor(base.specs());
    }

    @Override
    public synchronized void accept(int tensor, int offset, FloatBuffer values, int count) throws IOException {
      requireOpen();
      cursor.advance(tensor, offset, count);
      float[] scratch = SCRATCH.get();
      int done = 0;
      while (done < count) {
        int piece = Math.min(scratch.length, count - done);
        values.get(values.position() + done, scratch, 0, piece);
        // journal first: what was folded is always in the journal, so a discard finds all of it
        journal.append(scratch, 0, piece);
        sum.fold(tensor, offset + done, scratch, 0, piece, weight);
        done += piece;
      }
    }

    @Override
    public synchronized String commit() throws IOException {
      requireOpen();
      if (!cursor.complete()) {
        throw new IllegalStateException("update of party '" + party + "' was committed after " + journal.values()
            + " of " + cursor.total() + " values");
      }
      sum.commit(weight);
      try {
        end();
      } catch (IOException e) {
        // the update counts from here on; a journal left behind only costs disk until the attempt's directory goes
        return "could not delete its undo journal " + journal.path() + ": " + e.getMessage();
      }
      return "";
    }

    @Override
    public synchronized void discard() throws IOException {
      if (ended) {
        return;
      }
      float[] block = new float[BLOCK_VALUES];
      long index = 0;
      for (int t = 0; t < cursor.tensors() && index < journal.values(); t++) {
        int length = cursor.length(t);
        for (int off = 0; off < length && index < journal.values(); ) {
          int count = (int) Math.min(Math.min(BLOCK_VALUES, length - off), journal.values() - index);
          journal.read(index, block, 0, count);
          sum.fold(t, off, block, 0, count, -weight);
          index += count;
          off += count;
        }
      }
      end();
    }

    /** Deletes the journal of a sink the attempt is closed under (its sum is dropped anyway). */
    synchronized void abandon() throws IOException {
      if (!ended) {
        end();
      }
    }

    private void end() throws IOException {
      ended = true;
      open.remove(this);
      journal.close();
    }

    private void requireOpen() {
      if (ended) {
        throw new IllegalStateException("update of party '" + party + "' already ended");
      }
    }
  }
}
