package dev.flotilla.server;

/** Model weights made up for tests. */
public final class Weights {

  private Weights() {}

  /** A global model's values, copied into arrays. */
  public static float[][] values(dev.flotilla.server.model.GlobalModel model) {
    float[][] out = new float[model.specs().size()][];
    for (int t = 0; t < out.length; t++) {
      out[t] = new float[model.specs().get(t).numElements()];
      model.read(t, 0, out[t], 0, out[t].length);
    }
    return out;
  }

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
