package dev.flotilla.server.privacy;

/**
 * Arithmetic on logarithms of positive numbers, for the accountant's sums whose terms over- and
 * underflow a double (binomial coefficients times exp(i^2 / 2 sigma^2)).
 */
final class LogSpace {

  private LogSpace() {}

  /** log(e^a + e^b). */
  static double add(double a, double b) {
    double hi = Math.max(a, b);
    double lo = Math.min(a, b);
    if (lo == Double.NEGATIVE_INFINITY) {
      return hi;
    }
    return hi + Math.log1p(Math.exp(lo - hi));
  }

  /**
   * log(e^a - e^b) for a >= b.
   *
   * @throws IllegalArgumentException when a < b (the difference would be negative)
   */
  static double subtract(double a, double b) {
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    if (a < b) {
      throw new IllegalArgumentException("log-space subtraction would be negative: " + a + " < " + b);
    }
    if (a == b) {
      return Double.NEGATIVE_INFINITY;
    }
    return b + Math.log(Math.expm1(a - b));
  }

  /**
   * log(erfc(x)) for every finite x, without underflow for large x. Uses the Chebyshev fit of
   * Press et al., Numerical Recipes (2nd ed., 6.2, erfcc), relative error below 1.2e-7 everywhere;
   * in log form it never underflows, since erfc(x) = t exp(-x^2 + P(t)) for x >= 0. For x < 0,
   * erfc(x) = 2 - erfc(-x) lies in [1, 2]. An absolute error of 1.2e-7 in the logarithm moves the
   * accountant's epsilon by far less than its 1 % test tolerance.
   */
  static double logErfc(double x) {
    double z = Math.abs(x);
    double t = 1.0 / (1.0 + 0.5 * z);
    double poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277))))))));
    double logTail = Math.log(t) + poly; // log erfc(|x|)
    return x >= 0 ? logTail : Math.log(2.0 - Math.exp(logTail));
  }
}
