package dev.flotilla.server.aggregation;

/** FedAvg (McMahan et al. 2017): the next global model is the sample-weighted mean of the updates. */
public class FedAvg extends MeanStrategy {

  @Override
  public String name() {
    return "fedavg";
  }

  @Override
  boolean movesFromBase() {
    return false;
  }

  @Override
  void step(int tensor, int offset, float[] base, float[] mean, int count) {
    // the mean is the next model
  }
}
