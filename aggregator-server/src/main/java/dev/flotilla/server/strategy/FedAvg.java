package dev.flotilla.server.strategy;

/** FedAvg (McMahan et al. 2017): the next global model is the sample-weighted average. */
public class FedAvg implements Strategy {

  @Override
  public String name() {
    return "fedavg";
  }

  @Override
  public float[][] nextGlobal(float[][] global, float[][] average) {
    float[][] next = new float[average.length][];
    for (int t = 0; t < average.length; t++) {
      next[t] = average[t].clone();
    }
    return next;
  }
}
