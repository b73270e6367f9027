package dev.flotilla.server.round;

import dev.flotilla.server.admission.NormBound;
import dev.flotilla.server.aggregate.WeightedSum;
import dev.flotilla.server.aggregation.RoundAggregation;
import dev.flotilla.server.aggregation.Strategy;
import dev.flotilla.server.aggregation.UpdateSink;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.ModelWriter;
import io.grpc.StatusException;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The strategies of before issue 13 ({@code server/strategy}: next global from the weighted average)
 * on the new {@link Strategy} API, with the optional norm bound: each update is spooled to a file
 * until complete, then folded into one {@link WeightedSum}. Transitional: it goes away, with
 * {@code server/strategy} and {@link SpooledUpdate}, when the streaming and norm-bounded strategies
 * of {@code server/aggregation} are wired in.
 */
public final class LegacyStrategy implements Strategy {

  private final dev.flotilla.server.strategy.Strategy strategy;
  private final NormBound bound;

  /** @param bound --max-update-norm, or null */
  public LegacyStrategy(dev.flotilla.server.strategy.Strategy strategy, NormBound bound) {
    this.strategy = strategy;
    this.bound = bound;
  }

  @Override
  public String name() {
    return strategy.name();
  }

  @Override
  public double proximalMu() {
    return strategy.proximalMu();
  }

  @Override
  public Map<String, float[][]> state() {
    return strategy.state();
  }

  @Override
  public void restore(Map<String, float[][]> state) {
    strategy.restore(state);
  }

  @Override
  public RoundAggregation begin(GlobalModel base, Path spillDirectory) {
    WeightedSum sum = new WeightedSum(base.specs());
    return new RoundAggregation() {
      @Override
      public UpdateSink open(String party, double weight) throws IOException {
        SpooledUpdate spool = SpooledUpdate.create(spillDirectory, base);
        return new UpdateSink() {
          @Override
          public void accept(int tensor, int offset, FloatBuffer values, int count) throws IOException {
            spool.append(tensor, offset, values, count);
          }

          @Override
          public String commit() throws IOException, StatusException {
            try (spool) {
              double distance = spool.distance();
              double scale = bound == null ? 1 : bound.scale(party, distance);
              spool.foldInto(sum, weight, scale);
              sum.commit(weight);
              if (bound == null) {
                return "";
              }
              return scale < 1 ? String.format(Locale.ROOT, "clipped from L2 distance %.6g to %s", distance, bound.max())
                  : String.format(Locale.ROOT, "L2 distance %.6g", distance);
            }
          }

          @Override
          public void discard() throws IOException {
            spool.close();
          }
        };
      }

      @Override
      public int committed() {
        return sum.contributions();
      }

      @Override
      public void finish(ModelWriter next) throws IOException {
        float[][] global = new float[base.specs().size()][];
        for (int t = 0; t < global.length; t++) {
          global[t] = new float[base.specs().get(t).numElements()];
          base.read(t, 0, global[t], 0, global[t].length);
        }
        float[][] values = strategy.nextGlobal(global, sum.average());
        for (int t = 0; t < values.length; t++) {
          next.write(t, 0, values[t], 0, values[t].length);
        }
      }

      @Override
      public void close() {}
    };
  }
}
