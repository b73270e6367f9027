package dev.flotilla.server.round;

import dev.flotilla.server.aggregation.RoundAggregation;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.ModelStore;
import java.io.IOException;

/**
 * The one place the job's current global model is held and published. A published model is
 * read-only: parties fetch it, the state writer checkpoints and exports it, and the next round
 * aggregates from it, all at once; publishing the next version only swaps the reference. Each
 * version lives in a file of the {@link ModelStore} (read by positional reads), so neither the heap
 * nor the resident memory holds the model; the store keeps the current version and its predecessor
 * open, so the caller makes sure nothing still needs an older one (the round loop waits for the
 * state writer before it aggregates).
 */
public final class GlobalModelHolder {

  private final ModelStore store;
  private volatile GlobalModel current;

  public GlobalModelHolder(ModelStore store, GlobalModel initial) {
    this.store = store;
    this.current = initial;
  }

  public GlobalModel current() {
    return current;
  }

  public long version() {
    return current.version();
  }

  /** The model that follows the current one: the attempt's aggregation written into new storage (not yet published). */
  GlobalModel next(RoundAggregation aggregation) throws IOException {
    GlobalModel base = current;
    ModelStore.Writer next = store.writer(base.specs());
    try {
      aggregation.finish(next);
    } catch (IOException | RuntimeException e) {
      next.abort();
      throw e;
    }
    return next.publish(base.version() + 1);
  }

  /** Closes the store's open versions (at shutdown). */
  void close() throws IOException {
    store.close();
  }

  void publish(GlobalModel next) {
    if (next.version() <= current.version()) {
      throw new IllegalArgumentException("model version " + next.version() + " does not follow " + current.version());
    }
    current = next;
  }
}
