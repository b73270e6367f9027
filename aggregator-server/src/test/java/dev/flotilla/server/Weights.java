package dev.flotilla.server;

/** Model weights made up for tests. */
public final class Weights {

  private Weights() {}

  /** base + delta everywhere: a recognisable "trained" model. */
  public static float[][] shifted(float[][] base, float delta) {
    float[][] out = new float[base.length][];
    for (int t = 0; t < base.length; t++) {
      out[t] = base[t].clone();
      for (int i = 0; i < out[t].length; i++) {
        out[t][i] += delta;
      }
    }
    return out;
  }
}
