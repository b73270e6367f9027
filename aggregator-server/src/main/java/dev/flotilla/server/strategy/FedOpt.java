package dev.flotilla.server.strategy;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FedAdam and FedYogi (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2): the
 * averaged delta d = average - global is the pseudo-gradient of a server optimiser,
 * <pre>
 *   m = beta1 m + (1 - beta1) d
 *   v = beta2 v + (1 - beta2) d^2                     (Adam)
 *   v = v - (1 - beta2) d^2 sign(v - d^2)             (Yogi)
 *   global = global + lr m / (sqrt(v) + tau)
 * </pre>
 * with m0 = 0, v0 = tau^2 and no bias correction, as in the paper.
 */
public final class FedOpt implements Strategy {

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
      throw new IllegalArgumentException("server learning rate must be > 0, got " + lr);
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
    }
    if (!(tau > 0)) {
      throw new IllegalArgumentException("tau must be > 0, got " + tau);
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
  public float[][] nextGlobal(float[][] global, float[][] average) {
    if (m == null) {
      m = new float[global.length][];
      v = new float[global.length][];
      for (int t = 0; t < global.length; t++) {
        m[t] = new float[global[t].length];
        v[t] = new float[global[t].length];
        java.util.Arrays.fill(v[t], (float) (tau * tau));
      }
    }
    float[][] next = new float[global.length][];
    for (int t = 0; t < global.length; t++) {
      float[] g = global[t];
      float[] a = average[t];
      float[] mt = m[t];
      float[] vt = v[t];
      float[] out = new float[g.length];
      for (int i = 0; i < g.length; i++) {
        double d = (double) a[i] - g[i];
        double mi = beta1 * mt[i] + (1 - beta1) * d;
        double d2 = d * d;
        double vi = variant == Variant.ADAM
            ? beta2 * vt[i] + (1 - beta2) * d2
            : vt[i] - (1 - beta2) * d2 * Math.signum(vt[i] - d2);
        mt[i] = (float) mi;
        vt[i] = (float) vi;
        out[i] = (float) (g[i] + lr * mi / (Math.sqrt(vi) + tau));
      }
      next[t] = out;
    }
    return next;
  }

  private static float[][] deepCopy(float[][] a) {
    float[][] c = new float[a.length][];
    for (int i = 0; i < a.length; i++) {
      c[i] = a[i].clone();
    }
    return c;
  }

  /** The live optimiser moments (read them under the caller's lock; they change every round). */
  @Override
  public Map<String, float[][]> state() {
    if (m == null) {
      return Map.of();
    }
    Map<String, float[][]> state = new LinkedHashMap<>();
    state.put("m", m);
    state.put("v", v);
    return state;
  }

  @Override
  public void restore(Map<String, float[][]> state) {
    if (state.containsKey("m") && state.containsKey("v")) {
      m = deepCopy(state.get("m"));
      v = deepCopy(state.get("v"));
    }
  }
}
