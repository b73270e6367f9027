package dev.flotilla.protocol.model;

/** How far K local steps of SGD with momentum carry a constant gradient, in units of lr x gradient. */
public final class SgdSteps {

  private SgdSteps() {}

  /**
   * The L1 norm of FedNova's a for {@code steps} steps with momentum {@code rho} (Wang et al. 2020):
   * {@code steps} for plain SGD, [K - rho (1 - rho^K) / (1 - rho)] / (1 - rho) with momentum. FedNova
   * normalises each update by it; SCAFFOLD's option II divides x - y by lr times it to estimate the
   * mean gradient (the paper's K lr, which with momentum 0.9 overstates the gradient ~10x).
   */
  public static double normalised(long steps, double rho) {
    if (rho == 0) {
      return steps;
    }
    return (steps - rho * (1 - Math.pow(rho, steps)) / (1 - rho)) / (1 - rho);
  }
}
