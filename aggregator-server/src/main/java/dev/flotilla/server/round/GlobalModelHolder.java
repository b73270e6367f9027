package dev.flotilla.server.round;

import dev.flotilla.server.aggregation.RoundAggregation;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.HeapModel;
import java.io.IOException;

/**
 * The one place the job's current global model is held and published. A published model is
 * read-only: parties fetch it, the state writer checkpoints and exports it, and the next round
 * aggregates from it, all at once; publishing the next version only swaps the reference.
 */
public final class GlobalModelHolder {

  private volatile GlobalModel current;

  public GlobalModelHolder(GlobalModel initial) {
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
    HeapModel.Builder next = new HeapModel.Builder(base.specs());
    aggregation.finish(next);
    return next.build(base.version() + 1);
  }

  void publish(GlobalModel next) {
    if (next.version() <= current.version()) {
      throw new IllegalArgumentException("model version " + next.version() + " does not follow " + current.version());
    }
    current = next;
  }
}
