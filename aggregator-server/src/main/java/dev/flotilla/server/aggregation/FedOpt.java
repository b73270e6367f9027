package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.model.TensorSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FedAdam and FedYogi (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2): the
 * delta d = mean - global is the pseudo-gradient of a server optimiser,
 * <pre>
 *   m = beta1 m + (1 - beta1) d
 *   v = beta2 v + (1 - beta2) d^2                     (Adam)
 *   v = v - (1 - beta2) d^2 sign(v - d^2)             (Yogi)
 *   global = global + lr m / (sqrt(v) + tau)
 * </pre>
 * with m0 = 0, v0 = tau^2 and no bias correction, as in the paper. The moments (two models of
 * float32) are updated block by block while the next model is written; they are the strategy's
 * checkpointed state. A finish that fails part-way (the writer's I/O) leaves them a partial step
 * ahead: they must then not be checkpointed (copying them first would cost two more models).
 */
public final class FedOpt extends MeanStrategy {

  public enum Variant { ADAM, YOGI }

  public static final double DEFAULT_BETA1 = 0.9;
  public static final double DEFAULT_BETA2 = 0.99;
  public static final double DEFAULT_TAU = 1e-3;

  private final Variant variant;
  private final double lr;
  private final double beta1;
  private final double beta2;
  private final double tau;
  private float[][] m;
  private float[][] v;

  public FedOpt(Variant variant, double lr, double beta1, double beta2, double tau) {
    if (!(lr > 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException("--server-lr must be a finite number > 0, got " + lr);
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
    }
    if (!(tau > 0) || Double.isInfinite(tau)) {
      throw new IllegalArgumentException("tau must be a finite number > 0, got " + tau);
    }
    this.variant = variant;
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.tau = tau;
  }

  public static FedOpt adam(double lr) {
    return new FedOpt(Variant.ADAM, lr, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_TAU);
  }

  public static FedOpt yogi(double lr) {
    return new FedOpt(Variant.YOGI, lr, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_TAU);
  }

  @Override
  public String name() {
    return variant == Variant.ADAM ? "fedadam" : "fedyogi";
  }

  @Override
  boolean movesFromBase() {
    return true;
  }

  @Override
  synchronized void step(int tensor, int offset, float[] base, float[] mean, int count) {
    if (m == null) {
      throw new IllegalStateException("the moments were not sized to the model");
    }
    float[] mt = m[tensor];
    float[] vt = v[tensor];
    for (int i = 0; i < count; i++) {
      int k = offset + i;
      double g = base[i];
      double d = (double) mean[i] - g;
      double mi = beta1 * mt[k] + (1 - beta1) * d;
      double d2 = d * d;
      double vi = variant == Variant.ADAM
          ? beta2 * vt[k] + (1 - beta2) * d2
          : vt[k] - (1 - beta2) * d2 * Math.signum(vt[k] - d2);
      mt[k] = (float) mi;
      vt[k] = (float) vi;
      mean[i] = (float) (g + lr * mi / (Math.sqrt(vi) + tau));
    }
  }

  /** Sizes the moments to the layout on first use (m0 = 0, v0 = tau^2). */
  @Override
  synchronized void prepare(List<TensorSpec> specs) {
    if (m != null) {
      if (m.length != specs.size()) {
        throw new IllegalStateException("the restored moments have " + m.length + " tensors, the model " + specs.size());
      }
      for (int t = 0; t < specs.size(); t++) {
        if (m[t].length != specs.get(t).numElements() || v[t].length != specs.get(t).numElements()) {
          throw new IllegalStateException("the restored moments of tensor " + specs.get(t).name() + " have "
              + m[t].length + " values, the tensor " + specs.get(t).numElements());
        }
      }
      return;
    }
    m = new float[specs.size()][];
    v = new float[specs.size()][];
    for (int t = 0; t < specs.size(); t++) {
      m[t] = new float[specs.get(t).numElements()];
      v[t] = new float[specs.get(t).numElements()];
      Arrays.fill(v[t], (float) (tau * tau));
    }
  }

  /** The live optimiser moments (read them when no round is finishing; they change every round). */
  @Override
  public synchronized Map<String, float[][]> state() {
    if (m == null) {
      return Map.of();
    }
    Map<String, float[][]> state = new LinkedHashMap<>();
    state.put("m", m);
    state.put("v", v);
    return state;
  }

  @Override
  public synchronized void restore(Map<String, float[][]> state) {
    if (state.containsKey("m") && state.containsKey("v")) {
      m = deepCopy(state.get("m"));
      v = deepCopy(state.get("v"));
    }
  }

  private static float[][] deepCopy(float[][] a) {
    float[][] c = new float[a.length][];
    for (int i = 0; i < a.length; i++) {
      c[i] = a[i].clone();
    }
    return c;
  }
}
