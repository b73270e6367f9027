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
 * One attempt of a streaming strategy (FedAvg, FedProx, FedAdam, FedYogi): each update is folded
 * into one {@link RunningSum} when it is committed, and {@link MeanStrategy#step} turns the weighted
 * mean into the next model in {@link #finish}. Memory is the sum (one model of doubles) plus a block,
 * whatever the number of parties.
 *
 * <h2>Nothing of a discarded update reaches the sum</h2>
 * While an update streams in, its checked values are appended to a spool file in the spill
 * directory (float32, layout order); commit reads the file back block by block, folds it and deletes
 * it; discard only deletes it. The spool files of a round keep up to {@value #SPOOL_MEMORY_BYTES}
 * bytes on the heap instead of the disk (one 64 KiB block at a time, first come first served), so
 * a model of some MB spools without system calls while memory stays bounded whatever the parties. So a refused or broken-off update leaves no trace, exactly: an earlier
 * design folded each chunk on arrival and subtracted a journal of it on discard, which a hostile party
 * defeated by sending huge finite values before breaking off (subtracting 3e38 back does not restore
 * the honest sums it swamped; review of issue 13, HostileDiscardTest). The file is read back while it
 * is still in the page cache (it was written moments before), so the price is one extra pass over the
 * update in memory; disk holds one update per upload in progress, which --max-concurrent-uploads
 * bounds. Keeping each upload in memory instead would be O(parties x model); an exact (fixed-point)
 * sum of float32 values times 40-bit weights would need some 330 bits per coordinate; retrying the
 * round whenever an upload is discarded would let any one party void everyone's round.
 */
final class StreamingRound implements RoundAggregation {

  private static final int BLOCK_VALUES = 1 << 16;
  /** Heap the round's spool files may hold; 32 MiB is small next to the server's other memory even at 1 000 parties. */
  static final long SPOOL_MEMORY_BYTES = 32L << 20;

  private final MeanStrategy strategy;
  private final GlobalModel base;
  private final Path spillDirectory;
  private final RunningSum sum;
  private final Set<Sink> open = ConcurrentHashMap.newKeySet();
  private final SpoolMemory spoolMemory;
  /** Set once: no sink opens after close (the sum then belongs to the next attempt). */
  private boolean closed;
  /** Whether finish took every value of the sum (and so left it zero). */
  private volatile boolean drained;

  StreamingRound(MeanStrategy strategy, GlobalModel base, Path spillDirectory) {
    this(strategy, base, spillDirectory, SPOOL_MEMORY_BYTES);
  }

  /** With {@code spoolMemoryBytes} of heap for the spool files (0: every full buffer to disk). */
  StreamingRound(MeanStrategy strategy, GlobalModel base, Path spillDirectory, long spoolMemoryBytes) {
    this.spoolMemory = new SpoolMemory(spoolMemoryBytes);
    this.strategy = strategy;
    this.base = base;
    this.spillDirectory = spillDirectory;
    this.sum = strategy.takeSum(base.specs());
  }

  @Override
  public UpdateSink open(String party, double weight) throws IOException {
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException("update of party '" + party + "' has weight " + weight + "; expected > 0");
    }
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("update of party '" + party + "' opened after its attempt was closed");
      }
      Sink sink = new Sink(party, weight, Float32File.create(spillDirectory, "update-", spoolMemory));
      open.add(sink);
      return sink;
    }
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
        sum.takeMean(t, off, mean, count);
        if (from != null) {
          base.read(t, off, from, 0, count);
        }
        strategy.step(t, off, from, mean, count);
        next.write(t, off, mean, 0, count);
        off += count;
      }
    }
    drained = true;
  }

  /**
   * Ends every open sink (waiting for a commit in progress), then empties the sum and gives it back
   * to the strategy for the next attempt: a finished attempt left it zero, any other is zeroed here.
   */
  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    List<IOException> failures = new ArrayList<>();
    for (Sink s : open) {
      try {
        s.abandon();
      } catch (IOException e) {
        failures.add(e);
      }
    }
    sum.restart(drained);
    strategy.giveBack(sum);
    if (!failures.isEmpty()) {
      IOException e = new IOException("could not delete " + failures.size() + " spool file(s)", failures.get(0));
      failures.stream().skip(1).forEach(e::addSuppressed);
      throw e;
    }
  }

  /** One party's update: spooled as it arrives, folded when committed. */
  private final class Sink implements UpdateSink {

    private final String party;
    private final double weight;
    private final Float32File spool;
    private final LayoutCursor cursor;
    private boolean ended;

    Sink(String party, double weight, Float32File spool) {
      this.party = party;
      this.weight = weight;
      this.spool = spool;
      this.cursor = new LayoutCursor(base.specs());
    }

    @Override
    public synchronized void accept(int tensor, int offset, FloatBuffer values, int count) throws IOException {
      requireOpen();
      cursor.advance(tensor, offset, count);
      spool.append(values, count);
    }

    /** Folds the whole spooled update into the sum; a failure half-way leaves the attempt unusable (the caller's business). */
    @Override
    public synchronized String commit() throws IOException {
      requireOpen();
      if (!cursor.complete()) {
        throw new IllegalStateException("update of party '" + party + "' was committed after " + spool.values()
            + " of " + cursor.total() + " values");
      }
      // the spool's pieces follow layout order but not tensor boundaries
      int[] at = {0, 0}; // tensor, offset
      spool.readAll((values, from, count) -> {
        while (count > 0) {
          while (at[1] == cursor.length(at[0])) {
            at[0]++;
            at[1] = 0;
          }
          int n = Math.min(count, cursor.length(at[0]) - at[1]);
          sum.fold(at[0], at[1], values, from, n, weight);
          at[1] += n;
          from += n;
          count -= n;
        }
      });
      sum.commit(weight);
      try {
        end();
      } catch (IOException e) {
        // the update counts from here on; a spool file left behind only costs disk until the attempt's directory goes
        return "could not delete its spool file " + spool.path() + ": " + e.getMessage();
      }
      return "";
    }

    /** Nothing of the update was folded: deleting its spool file is all there is to take back. */
    @Override
    public synchronized void discard() throws IOException {
      if (!ended) {
        end();
      }
    }

    /** Deletes the spool file of a sink the attempt is closed under (its sum is dropped anyway). */
    synchronized void abandon() throws IOException {
      if (!ended) {
        end();
      }
    }

    private void end() throws IOException {
      ended = true;
      open.remove(this);
      spool.close();
    }

    private void requireOpen() {
      if (ended) {
        throw new IllegalStateException("update of party '" + party + "' already ended");
      }
    }
  }
}
