package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.model.ModelWriter;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One attempt of a spilled strategy: each sink appends its update to its own file in the spill
 * directory; a commit adds the file to the round, a discard deletes it (so a refused or broken
 * update leaves no trace at all); {@link #finish} hands the committed files to the strategy, and
 * {@link #close} deletes every file.
 */
final class SpilledRound implements RoundAggregation {


  private final SpilledStrategy strategy;
  private final List<TensorSpec> specs;
  private final Path spillDirectory;
  private final List<SpilledUpdates.Update> committed = new ArrayList<>();
  private final List<Float32File> files = new ArrayList<>();

  SpilledRound(SpilledStrategy strategy, List<TensorSpec> specs, Path spillDirectory) {
    this.strategy = strategy;
    this.specs = specs;
    this.spillDirectory = spillDirectory;
  }

  @Override
  public UpdateSink open(String party, double weight) throws IOException {
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException("update of party '" + party + "' has weight " + weight + "; expected > 0");
    }
    Float32File file = Float32File.create(spillDirectory, "update-");
    synchronized (this) {
      files.add(file);
    }
    return new Sink(party, weight, file);
  }

  @Override
  public synchronized int committed() {
    return committed.size();
  }

  @Override
  public void finish(ModelWriter next) throws IOException {
    SpilledUpdates updates = updates();
    if (updates.size() == 0) {
      throw new IllegalStateException("no update was committed");
    }
    strategy.combine(updates, next);
  }

  /** The committed updates, ordered by party: commit order depends on thread timing, party order makes ties reproducible. */
  synchronized SpilledUpdates updates() {
    return new SpilledUpdates(specs, committed.stream().sorted(Comparator.comparing(SpilledUpdates.Update::party)).toList());
  }

  @Override
  public void close() throws IOException {
    List<Float32File> all;
    synchronized (this) {
      all = List.copyOf(files);
      files.clear();
    }
    IOException failure = null;
    for (Float32File f : all) {
      try {
        f.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = new IOException("could not delete spill file(s) in " + spillDirectory, e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private final class Sink implements UpdateSink {

    private final String party;
    private final double weight;
    private final Float32File file;
    private final LayoutCursor cursor;
    private boolean ended;

    Sink(String party, double weight, Float32File file) {
      this.party = party;
      this.weight = weight;
      this.file = file;
      this.cursor = new LayoutCursor(specs);
    }

    @Override
    public synchronized void accept(int tensor, int offset, FloatBuffer values, int count) throws IOException {
      requireOpen();
      cursor.advance(tensor, offset, count);
      file.append(values, count);
    }

    @Override
    public synchronized String commit() throws IOException {
      requireOpen();
      if (!cursor.complete()) {
        throw new IllegalStateException("update of party '" + party + "' was committed after " + file.values()
            + " of " + cursor.total() + " values");
      }
      file.flush(); // its append buffer goes: committed files wait for finish without one
      ended = true;
      synchronized (SpilledRound.this) {
        committed.add(new SpilledUpdates.Update(party, weight, file));
      }
      return "";
    }

    @Override
    public synchronized void discard() throws IOException {
      if (ended) {
        return;
      }
      ended = true;
      synchronized (SpilledRound.this) {
        files.remove(file);
      }
      file.close();
    }

    private void requireOpen() {
      if (ended) {
        throw new IllegalStateException("update of party '" + party + "' already ended");
      }
    }
  }
}
