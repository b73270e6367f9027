package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.tensor.FloatKernels;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.ModelWriter;
import io.grpc.StatusException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One attempt of a streaming strategy (FedAvg, FedProx, FedAdam, FedYogi): each update is folded
 * into one {@link RunningSum} as it arrives, and {@link MeanStrategy#step} turns the weighted mean
 * into the next model in {@link #finish}. Memory is the sum (one model of doubles) plus a block,
 * whatever the number of parties.
 *
 * <h2>One pass over each value</h2>
 * A block of received bytes is decoded, checked (NaN, infinity) and folded in one loop ({@link
 * RunningSum#foldWithin}); the sink keeps the block's bytes (a reference to the received chunk, no
 * copy) in the update's spool, so that a discard can take the update back. The spool files of a
 * round keep up to {@value #SPOOL_MEMORY_BYTES} bytes on the heap (kept chunks and 64 KiB copies,
 * first come first served); beyond that the values are copied to the spool file in the spill
 * directory, so memory stays bounded whatever the parties. Commit only counts the weight.
 *
 * <h2>What a discarded update leaves behind</h2>
 * Discard subtracts the update's folded values again ({@code sum += -weight * x}, read back from the
 * spool). That is exact only where no sum was rounded meanwhile; otherwise each sum keeps an error
 * of at most a few units in the last place of a double at the magnitudes it passed through, i.e.
 * below {@code 2^-50 (k + 2) (s + m)} for a sum that reached {@code s} while the update was in, {@code
 * k} updates folded meanwhile and {@code m} the update's largest {@code |weight * x|}: some 2^-26 of
 * a float32 unit at the values of an ordinary model. A hostile party could make {@code m} huge
 * (3e38, finite, then break off: subtracting it back would not restore the honest sums it swamped;
 * review of issue 13, HostileDiscardTest), so only values with {@code |weight * x| <= }{@value
 * #FOLD_ON_ARRIVAL_LIMIT} are folded on arrival: from the first value beyond, the rest of that update
 * waits in the spool and is folded at commit (exactly as an earlier design did for every update), so
 * {@code m} is bounded and a discard of that rest is exact. Keeping each upload in memory instead
 * would be O(parties x model); an exact (fixed-point) sum of float32 values times 40-bit weights would
 * need some 330 bits per coordinate; retrying the round whenever an upload is discarded would let any
 * one party void everyone's round.
 */
final class StreamingRound implements RoundAggregation {

  private static final int BLOCK_VALUES = 1 << 16;
  /** The largest {@code |weight * value|} folded on arrival (see the class comment). */
  static final double FOLD_ON_ARRIVAL_LIMIT = 0x1p24;
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
  /** What the committed updates claimed (guarded by this). */
  private RoundTally tally = RoundTally.EMPTY;
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
    return open(party, new Weighing(weight, weight, 1));
  }

  @Override
  public UpdateSink open(String party, UpdateFacts facts) throws IOException, StatusException {
    return open(party, strategy.weigh(party, facts));
  }

  private UpdateSink open(String party, Weighing weighing) throws IOException {
    double weight = weighing.weight();
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException("update of party '" + party + "' has weight " + weight + "; expected > 0");
    }
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("update of party '" + party + "' opened after its attempt was closed");
      }
      Sink sink = new Sink(party, weighing, Float32File.create(spillDirectory, "update-", spoolMemory));
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
    synchronized (this) {
      strategy.beforeSteps(tally);
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

  /** One party's update: folded and kept (spooled) as it arrives, counted when committed. */
  private final class Sink implements UpdateSink {

    private final String party;
    private final Weighing weighing;
    private final double weight;
    /** Values with a larger magnitude are not folded on arrival: {@link #FOLD_ON_ARRIVAL_LIMIT} / weight. */
    private final float limit;
    private final Float32File spool;
    private final LayoutCursor cursor;
    /** The first {@code folded} values of the spool are in the sum; the rest (if any) is folded at commit. */
    private long folded;
    /** A value beyond the limit arrived: every later value waits for the commit. */
    private boolean foldAtCommit;
    private boolean ended;

    Sink(String party, Weighing weighing, Float32File spool) {
      this.party = party;
      this.weighing = weighing;
      this.weight = weighing.weight();
      this.limit = (float) Math.min(Float.MAX_VALUE, FOLD_ON_ARRIVAL_LIMIT / weight);
      this.spool = spool;
      this.cursor = new LayoutCursor(base.specs());
    }

    /** Checked values (tests, other receivers): kept as a copy and folded at commit. */
    @Override
    public synchronized void accept(int tensor, int offset, FloatBuffer values, int count) throws IOException {
      requireOpen();
      cursor.advance(tensor, offset, count);
      spool.append(values, count);
      foldAtCommit = true;
    }

    /** The receive path: checks and folds in one pass, keeping the bytes to take them back on discard. */
    @Override
    public synchronized int acceptChecking(int tensor, int offset, ByteBuffer values, int count) throws IOException {
      requireOpen();
      cursor.advance(tensor, offset, count);
      // spooled before any of it is folded: whatever reaches the sum can always be taken back
      spool.appendKept(values, count);
      if (foldAtCommit) {
        return FloatKernels.firstNonFinite(values, count);
      }
      int stop = sum.foldWithin(tensor, offset, values, count, weight, limit);
      if (stop < 0) {
        folded += count;
        return -1;
      }
      folded += stop;
      foldAtCommit = true; // a NaN refuses the update; a large finite value sends the rest to the commit
      ByteBuffer rest = values.slice(values.position() + stop * Float.BYTES, (count - stop) * Float.BYTES)
          .order(ByteOrder.LITTLE_ENDIAN);
      int bad = FloatKernels.firstNonFinite(rest, count - stop);
      return bad < 0 ? -1 : stop + bad;
    }

    /** Folds what waits in the spool (if anything) and counts the weight; a failure half-way leaves the attempt unusable (the caller's business). */
    @Override
    public synchronized String commit() throws IOException {
      requireOpen();
      if (!cursor.complete()) {
        throw new IllegalStateException("update of party '" + party + "' was committed after " + spool.values()
            + " of " + cursor.total() + " values");
      }
      foldSpooled(folded, spool.values() - folded, weight);
      sum.commit(weight);
      synchronized (StreamingRound.this) {
        tally = tally.plus(weighing);
      }
      try {
        end();
      } catch (IOException e) {
        // the update counts from here on; a spool file left behind only costs disk until the attempt's directory goes
        return "could not delete its spool file " + spool.path() + ": " + e.getMessage();
      }
      return "";
    }

    /** Subtracts what was folded on arrival and deletes the spool. */
    @Override
    public synchronized void discard() throws IOException {
      if (!ended) {
        foldSpooled(0, folded, -weight);
        end();
      }
    }

    /** Folds {@code count} spooled values from index {@code from} into the sum with {@code w}; the spool follows layout order but not tensor boundaries. */
    private void foldSpooled(long from, long count, double w) throws IOException {
      if (count == 0) {
        return;
      }
      int[] at = {0, 0}; // tensor, offset of value index from
      long skip = from;
      while (skip >= cursor.length(at[0])) {
        skip -= cursor.length(at[0]);
        at[0]++;
      }
      at[1] = (int) skip;
      spool.read(from, count, (values, start, n) -> {
        while (n > 0) {
          while (at[1] == cursor.length(at[0])) {
            at[0]++;
            at[1] = 0;
          }
          int piece = Math.min(n, cursor.length(at[0]) - at[1]);
          sum.fold(at[0], at[1], values, start, piece, w);
          at[1] += piece;
          start += piece;
          n -= piece;
        }
      });
    }

    /** Deletes the spool file of a sink the attempt is closed under (its sum is zeroed anyway). */
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
