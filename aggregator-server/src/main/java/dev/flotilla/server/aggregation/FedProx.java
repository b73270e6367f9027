package dev.flotilla.server.aggregation;

/**
 * FedProx (Li et al. 2020): the server aggregates like FedAvg; the parties add the proximal term
 * mu/2 ||w - w_global||^2 to their local loss, with the mu sent to them at Join.
 */
public final class FedProx extends FedAvg {

  private final double mu;

  public FedProx(double mu) {
    if (!(mu >= 0) || Double.isInfinite(mu)) {
      throw new IllegalArgumentException("--fedprox-mu must be a finite number >= 0, got " + mu);
    }
    this.mu = mu;
  }

  @Override
  public String name() {
    return "fedprox";
  }

  @Override
  public double proximalMu() {
    return mu;
  }
}
