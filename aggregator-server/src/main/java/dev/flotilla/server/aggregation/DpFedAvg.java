package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.admission.NormBound;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.ModelWriter;
import dev.flotilla.protocol.privacy.GaussianNoise;
import dev.flotilla.server.privacy.PrivacyBudget;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * Client-level DP-FedAvg (McMahan, Ramage, Talwar, Zhang 2018, "Learning Differentially Private
 * Recurrent Language Models", Algorithm 1 with the fixed-denominator estimator): each update's
 * difference from the round's global model is clipped to L2 norm {@code S} over all tensors
 * ({@link NormBounded}, clip action), every party weighs the same whatever its sample count, and the
 * next model is
 *
 * <pre>  base + (sum of clipped differences) / E + N(0, (z S / E)^2) per value</pre>
 *
 * with {@code E = q x expected parties} the expected number of participants and {@code z} the
 * noise multiplier. Adding or removing one party moves the sum by at most {@code S}, and the noise
 * on the sum has std {@code z S}: one step of the sampled Gaussian mechanism that {@link
 * dev.flotilla.server.privacy.RdpAccountant} charges. The denominator is fixed (not the number of
 * updates that arrived) because the count itself would depend on who took part; so a round with no
 * update at all still releases {@code base + noise}. Streaming: the clipped updates fold into
 * FedAvg's running sum (memory O(model)); the noise is drawn while the next model is written.
 */
public final class DpFedAvg implements Strategy {

  public static final String NAME = "dp-fedavg";
  private static final int BLOCK_VALUES = 1 << 16;

  private final Strategy clipped;
  private final PrivacyBudget privacy;
  private final double expectedParticipants;
  private final Supplier<GaussianNoise> noise;

  /**
   * @param expectedParticipants E, the sampling rate times the parties of the job (> 0)
   * @param noise a fresh noise source per round (keyed from SecureRandom in production)
   */
  public DpFedAvg(PrivacyBudget privacy, double expectedParticipants, Supplier<GaussianNoise> noise) {
    if (!(expectedParticipants > 0) || Double.isInfinite(expectedParticipants)) {
      throw new IllegalArgumentException("expected participants must be > 0, got " + expectedParticipants);
    }
    this.clipped = new NormBounded(new FedAvg(), new NormBound(privacy.clipNorm(), NormBound.Action.CLIP));
    this.privacy = privacy;
    this.expectedParticipants = expectedParticipants;
    this.noise = noise;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The std of the noise added to each value of the next model: z S / E. */
  public double noiseStd() {
    return privacy.noiseMultiplier() * privacy.clipNorm() / expectedParticipants;
  }

  @Override
  public RoundAggregation begin(GlobalModel base, Path spillDirectory) throws IOException {
    return new Round(clipped.begin(base, spillDirectory), base);
  }

  private final class Round implements RoundAggregation {

    private final RoundAggregation inner;
    private final GlobalModel base;

    Round(RoundAggregation inner, GlobalModel base) {
      this.inner = inner;
      this.base = base;
    }

    /** Every party weighs 1: a weight by sample count would let one party's share, and so the sensitivity, grow. */
    @Override
    public UpdateSink open(String party, double weight) throws IOException {
      return inner.open(party, 1.0);
    }

    @Override
    public int committed() {
      return inner.committed();
    }

    /**
     * The inner FedAvg writes the mean of the n clipped models, base + sum / n; this turns each value
     * into base + sum / E + noise on its way to {@code next}.
     */
    @Override
    public void finish(ModelWriter next) throws IOException {
      int n = inner.committed();
      ModelWriter noised = new Noising(next, n / expectedParticipants, noiseStd(), noise.get());
      if (n > 0) {
        inner.finish(noised);
        return;
      }
      // nobody's update: base + noise (the sum is 0, its mean undefined)
      List<TensorSpec> specs = base.specs();
      float[] values = new float[BLOCK_VALUES];
      for (int t = 0; t < specs.size(); t++) {
        int length = specs.get(t).numElements();
        for (int off = 0; off < length; ) {
          int count = Math.min(BLOCK_VALUES, length - off);
          base.read(t, off, values, 0, count);
          noised.write(t, off, values, 0, count);
          off += count;
        }
      }
    }

    @Override
    public void close() throws IOException {
      inner.close();
    }

    /** value -> base + (value - base) * scale + std * N(0, 1). */
    private final class Noising implements ModelWriter {

      private final ModelWriter next;
      private final double scale;
      private final double std;
      private final GaussianNoise gaussian;
      private final float[] from = new float[BLOCK_VALUES];
      private final float[] out = new float[BLOCK_VALUES];

      Noising(ModelWriter next, double scale, double std, GaussianNoise gaussian) {
        this.next = next;
        this.scale = scale;
        this.std = std;
        this.gaussian = gaussian;
      }

      @Override
      public void write(int tensor, int offset, float[] src, int at, int count) throws IOException {
        for (int done = 0; done < count; ) {
          int piece = Math.min(BLOCK_VALUES, count - done);
          base.read(tensor, offset + done, from, 0, piece);
          for (int i = 0; i < piece; i++) {
            double b = from[i];
            out[i] = (float) (b + (src[at + done + i] - b) * scale + std * gaussian.next());
          }
          next.write(tensor, offset + done, out, 0, piece);
          done += piece;
        }
      }
    }
  }
}
