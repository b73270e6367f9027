package dev.flotilla.server.aggregation;

import dev.flotilla.server.model.ModelWriter;
import java.io.IOException;
import java.util.Arrays;

/**
 * A robust strategy that combines the updates' values coordinate by coordinate from their sorted
 * column, unweighted: a party's sample count is its own claim (bounded only by
 * --max-samples-per-party), so weighting by it would let one party move the median or the trimmed
 * mean alone. Flower's FedMedian and FedTrimmedAvg are unweighted too.
 */
abstract class CoordinateWise extends SpilledStrategy {

  @Override
  final void combine(SpilledUpdates updates, ModelWriter next) throws IOException {
    int n = updates.size();
    float[] column = new float[n];
    float[] out = new float[SpilledUpdates.blockValues(n)];
    updates.forEachBlock((tensor, offset, values, count) -> {
      for (int i = 0; i < count; i++) {
        for (int p = 0; p < n; p++) {
          column[p] = values[p][i];
        }
        Arrays.sort(column);
        out[i] = ofSorted(column);
      }
      next.write(tensor, offset, out, 0, count);
    });
  }

  /** The combined value of one coordinate from its {@code sorted} values (one per update). */
  abstract float ofSorted(float[] sorted);
}
