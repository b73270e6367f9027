package dev.flotilla.server.aggregation;

import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.ModelWriter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A strategy that needs every admitted update at once (median, trimmed mean, Krum): each update is
 * written to a spill file as it streams in, and {@link #combine} reads them all back, block by block,
 * once the round closed. RAM is bounded by a block per party (see {@link SpilledUpdates}); disk
 * holds parties x model until the attempt is closed.
 */
abstract class SpilledStrategy implements Strategy {

  @Override
  public final RoundAggregation begin(GlobalModel base, Path spillDirectory) {
    return new SpilledRound(this, base.specs(), spillDirectory);
  }

  /** Writes the next model from the committed updates (at least one), tensor by tensor in layout order. */
  abstract void combine(SpilledUpdates updates, ModelWriter next) throws IOException;
}
