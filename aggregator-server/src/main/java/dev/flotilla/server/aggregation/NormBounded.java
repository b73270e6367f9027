package dev.flotilla.server.aggregation;

import dev.flotilla.server.admission.NormBound;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.ModelWriter;
import io.grpc.StatusException;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Any strategy with updates bounded in L2 distance from the round's base model (--max-update-norm):
 * norm-bounded FedAvg is {@code new NormBounded(new FedAvg(), bound)}. The distance is only known
 * once the last chunk arrived, so each update is spilled to a file while its squared distance from
 * the base is summed; on commit it is refused (INVALID_ARGUMENT, {@link NormBound#scale}'s message)
 * or read back block by block into the inner strategy, clipped to {@code base + d * bound / ||d||}
 * where beyond the bound. The inner strategy thus never sees a refused or broken update, whatever it
 * does with a discard. Disk holds the uploads in flight (one per party), RAM a block.
 */
public final class NormBounded implements Strategy {

  private static final int BLOCK_VALUES = Float32File.PIECE_VALUES;
  private static final ThreadLocal<float[][]> SCRATCH =
      ThreadLocal.withInitial(() -> new float[][] {new float[BLOCK_VALUES], new float[BLOCK_VALUES]});

  private final Strategy inner;
  private final NormBound bound;

  public NormBounded(Strategy inner, NormBound bound) {
    this.inner = inner;
    this.bound = bound;
  }

  /** The inner strategy's name: the bound is an admission setting, not another aggregation. */
  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public double proximalMu() {
    return inner.proximalMu();
  }

  @Override
  public Map<String, float[][]> state() {
    return inner.state();
  }

  @Override
  public void restore(Map<String, float[][]> state) {
    inner.restore(state);
  }

  public NormBound bound() {
    return bound;
  }

  @Override
  public RoundAggregation begin(GlobalModel base, Path spillDirectory) throws IOException {
    return new Round(inner.begin(base, spillDirectory), base, spillDirectory);
  }

  private final class Round implements RoundAggregation {

    private final RoundAggregation inner;
    private final GlobalModel base;
    private final Path spillDirectory;
    private final List<Float32File> open = new ArrayList<>();

    Round(RoundAggregation inner, GlobalModel base, Path spillDirectory) {
      this.inner = inner;
      this.base = base;
      this.spillDirectory = spillDirectory;
    }

    @Override
    public UpdateSink open(String party, double weight) throws IOException {
      if (!(weight > 0) || Double.isInfinite(weight)) {
        throw new IllegalArgumentException("update of party '" + party + "' has weight " + weight + "; expected > 0");
      }
      Float32File file = Float32File.create(spillDirectory, "bounded-");
      synchronized (this) {
        open.add(file);
      }
      return new Sink(this, party, weight, file);
    }

    @Override
    public int committed() {
      return inner.committed();
    }

    @Override
    public void finish(ModelWriter next) throws IOException {
      inner.finish(next);
    }

    @Override
    public void close() throws IOException {
      List<Float32File> left;
      synchronized (this) {
        left = List.copyOf(open);
        open.clear();
      }
      try {
        for (Float32File f : left) {
          f.close();
        }
      } finally {
        inner.close();
      }
    }

    synchronized void forget(Float32File file) {
      open.remove(file);
    }
  }

  private final class Sink implements UpdateSink {

    private final Round round;
    private final String party;
    private final double weight;
    private final Float32File file;
    private final LayoutCursor cursor;
    private double squaredDistance;
    private boolean ended;

    Sink(Round round, String party, double weight, Float32File file) {
      this.round = round;
      this.party = party;
      this.weight = weight;
      this.file = file;
      this.cursor = new LayoutCursor(round.base.specs());
    }

    @Override
    public synchronized void accept(int tensor, int offset, FloatBuffer values, int count) throws IOException {
      requireOpen();
      cursor.advance(tensor, offset, count);
      float[][] scratch = SCRATCH.get();
      float[] update = scratch[0];
      float[] from = scratch[1];
      for (int done = 0; done < count; ) {
        int piece = Math.min(BLOCK_VALUES, count - done);
        values.get(values.position() + done, update, 0, piece);
        round.base.read(tensor, offset + done, from, 0, piece);
        double sum = 0;
        for (int i = 0; i < piece; i++) {
          double d = (double) update[i] - from[i];
          sum += d * d;
        }
        file.append(update, 0, piece);
        squaredDistance += sum;
        done += piece;
      }
    }

    @Override
    public synchronized String commit() throws IOException, StatusException {
      requireOpen();
      if (!cursor.complete()) {
        throw new IllegalStateException("update of party '" + party + "' was committed after " + file.values()
            + " of " + cursor.total() + " values");
      }
      double distance = Math.sqrt(squaredDistance);
      double scale;
      try {
        scale = bound.scale(party, distance);
      } catch (StatusException refused) {
        discard();
        throw refused;
      }
      String note;
      UpdateSink target = round.inner.open(party, weight);
      try {
        feed(target, scale);
        note = target.commit();
      } catch (IOException | StatusException | RuntimeException e) {
        target.discard();
        discard();
        throw e;
      }
      end();
      String clipped = scale < 1
          ? String.format(Locale.ROOT, "clipped from L2 distance %.6g to %s", distance, bound.max()) : "";
      return note.isEmpty() ? clipped : clipped.isEmpty() ? note : clipped + "; " + note;
    }

    /** Reads the spilled update back into {@code target}, as base + scale * (update - base). */
    private void feed(UpdateSink target, double scale) throws IOException {
      // own buffers: the inner sink may use thread-local ones of its own while it takes these
      float[] update = new float[BLOCK_VALUES];
      float[] from = new float[BLOCK_VALUES];
      LayoutCursor layout = cursor;
      for (int t = 0; t < layout.tensors(); t++) {
        int length = layout.length(t);
        // off advances by count, never past the length: off += BLOCK would overflow near 2^31 values
        for (int off = 0; off < length; ) {
          int count = Math.min(BLOCK_VALUES, length - off);
          file.read(layout.indexOf(t, off), update, 0, count);
          if (scale < 1) {
            round.base.read(t, off, from, 0, count);
            for (int i = 0; i < count; i++) {
              update[i] = (float) (from[i] + ((double) update[i] - from[i]) * scale);
            }
          }
          target.accept(t, off, FloatBuffer.wrap(update, 0, count), count);
          off += count;
        }
      }
    }

    @Override
    public synchronized void discard() throws IOException {
      if (!ended) {
        end();
      }
    }

    private void end() throws IOException {
      ended = true;
      round.forget(file);
      file.close();
    }

    private void requireOpen() {
      if (ended) {
        throw new IllegalStateException("update of party '" + party + "' already ended");
      }
    }
  }
}
