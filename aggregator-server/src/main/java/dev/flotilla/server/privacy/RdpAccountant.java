package dev.flotilla.server.privacy;

import java.util.ArrayList;
import java.util.List;

/**
 * Rényi-DP accountant of the sampled Gaussian mechanism (Mironov, Talwar, Zhang 2019, "Rényi
 * Differential Privacy of the Sampled Gaussian Mechanism", section 3.3): each step includes every
 * record (here: every party) independently with probability {@code q} (Poisson sampling) and adds
 * Gaussian noise of standard deviation {@code sigma} times the L2 sensitivity to the sum. The RDP of
 * {@code steps} such steps at order alpha is {@code steps} times one step's (composition); the best
 * order over {@link #DEFAULT_ORDERS} gives (epsilon, delta) by one of the {@link Conversion}s.
 *
 * <p>Integer orders use the binomial expansion of A_alpha (their eq. for integer alpha, as TF
 * Privacy's and Opacus's {@code _compute_log_a_int}); fractional orders the two-sided series with
 * erfc tails (section 3.3, as {@code _compute_log_a_frac}), summed in log space until both terms
 * fall below e^-30, with the signs of the generalised binomial coefficients as Opacus keeps them: A_alpha
 * itself. Google's dp_accounting now sums their absolute values, an upper bound (3 % higher at order
 * 1.5, q 0.01, sigma 2.5; RdpAccountantTest.fractionalOrdersAreTheIntegral).
 */
public final class RdpAccountant {

  /** The orders TF Privacy's MNIST tutorial and Opacus (DEFAULT_ALPHAS) use: 1.1, 1.2, ..., 10.9, 12, ..., 63. */
  public static final List<Double> DEFAULT_ORDERS = defaultOrders();

  /** How Rényi DP becomes (epsilon, delta)-DP. */
  public enum Conversion {
    /** Mironov 2017, Proposition 3: epsilon = rdp + log(1/delta) / (alpha - 1). TF Privacy until 2020. */
    CLASSIC,
    /**
     * Canonne, Kamath, Steinke 2020 ("The Discrete Gaussian for Differential Privacy", Proposition 12),
     * equivalently Balle et al. 2020 ("Hypothesis Testing Interpretations and Rényi Differential
     * Privacy", Theorem 21): epsilon = rdp + log((alpha - 1) / alpha) - (log delta + log alpha) / (alpha - 1),
     * and 0 where delta^2 >= 1 - e^-rdp. Never larger than {@link #CLASSIC}; TF Privacy's and Google's
     * dp_accounting's current choice.
     */
    IMPROVED
  }

  /** An (epsilon, delta) guarantee and the order it came from. */
  public record Spent(double epsilon, double order) {}

  private RdpAccountant() {}

  /**
   * The RDP at order {@code alpha} of one step of the sampled Gaussian mechanism.
   *
   * @param q sampling probability in [0, 1]
   * @param sigma noise multiplier (noise std / sensitivity), >= 0
   * @param alpha order > 1
   */
  public static double rdp(double q, double sigma, double alpha) {
    if (!(q >= 0 && q <= 1) || !(sigma >= 0) || !(alpha > 1)) {
      throw new IllegalArgumentException("need 0 <= q <= 1, sigma >= 0, alpha > 1; got q=" + q + ", sigma=" + sigma
          + ", alpha=" + alpha);
    }
    if (q == 0) {
      return 0;
    }
    if (sigma == 0 || Double.isInfinite(alpha)) {
      return Double.POSITIVE_INFINITY;
    }
    if (q == 1) {
      return alpha / (2 * sigma * sigma); // the Gaussian mechanism without sampling
    }
    double logA = alpha == Math.rint(alpha) ? logAInteger(q, sigma, (int) alpha) : logAFractional(q, sigma, alpha);
    return logA / (alpha - 1);
  }

  /** The (epsilon, delta) of {@code steps} steps, at the best of {@link #DEFAULT_ORDERS}. */
  public static Spent epsilon(double q, double sigma, long steps, double delta, Conversion conversion) {
    return epsilon(q, sigma, steps, delta, conversion, DEFAULT_ORDERS);
  }

  /** The (epsilon, delta) of {@code steps} steps, at the best of {@code orders}. */
  public static Spent epsilon(double q, double sigma, long steps, double delta, Conversion conversion,
      List<Double> orders) {
    return epsilon(rdpPerStep(q, sigma, orders), orders, steps, delta, conversion);
  }

  /** One step's RDP at each of {@code orders} (composition multiplies it by the steps). */
  public static double[] rdpPerStep(double q, double sigma, List<Double> orders) {
    double[] rdp = new double[orders.size()];
    for (int i = 0; i < rdp.length; i++) {
      rdp[i] = rdp(q, sigma, orders.get(i));
    }
    return rdp;
  }

  /** The (epsilon, delta) of {@code steps} steps of a mechanism whose one step has {@code rdpPerStep} at {@code orders}. */
  public static Spent epsilon(double[] rdpPerStep, List<Double> orders, long steps, double delta,
      Conversion conversion) {
    if (!(delta > 0 && delta < 1) || steps < 0) {
      throw new IllegalArgumentException("need 0 < delta < 1 and steps >= 0; got delta=" + delta + ", steps=" + steps);
    }
    Spent best = new Spent(Double.POSITIVE_INFINITY, Double.NaN);
    for (int i = 0; i < rdpPerStep.length; i++) {
      double alpha = orders.get(i);
      double eps = toEpsilon(steps * rdpPerStep[i], alpha, delta, conversion);
      if (eps < best.epsilon()) {
        best = new Spent(eps, alpha);
      }
    }
    return new Spent(Math.max(0, best.epsilon()), best.order());
  }

  /** (epsilon, delta) from an RDP of {@code rdp} at order {@code alpha}. */
  static double toEpsilon(double rdp, double alpha, double delta, Conversion conversion) {
    if (Double.isInfinite(rdp)) {
      return Double.POSITIVE_INFINITY;
    }
    return switch (conversion) {
      case CLASSIC -> rdp - Math.log(delta) / (alpha - 1);
      case IMPROVED -> {
        if (delta * delta + Math.expm1(-rdp) >= 0) {
          yield 0; // the KL bound alone gives delta: epsilon 0 (dp_accounting does the same)
        }
        if (alpha <= 1.01) {
          yield Double.POSITIVE_INFINITY; // numerically unstable near 1, and never the best order there
        }
        yield rdp + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
      }
    };
  }

  /** log A_alpha for integer alpha: log sum_i C(alpha, i) q^i (1-q)^(alpha-i) exp((i^2 - i) / (2 sigma^2)). */
  private static double logAInteger(double q, double sigma, int alpha) {
    double logA = Double.NEGATIVE_INFINITY;
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double logBinomial = 0; // log C(alpha, 0)
    for (int i = 0; i <= alpha; i++) {
      double term = logBinomial + i * logQ + (alpha - i) * log1mQ + ((double) i * i - i) / (2 * sigma * sigma);
      logA = LogSpace.add(logA, term);
      logBinomial += Math.log(alpha - i) - Math.log(i + 1.0);
    }
    return logA;
  }

  /**
   * log A_alpha for fractional alpha: the series of Mironov et al. section 3.3, split at z0 =
   * sigma^2 log(1/q - 1) + 1/2 into two sums with erfc tails; the generalised binomial coefficient
   * C(alpha, i) turns negative past alpha, where its terms are subtracted.
   */
  private static double logAFractional(double q, double sigma, double alpha) {
    double logA0 = Double.NEGATIVE_INFINITY;
    double logA1 = Double.NEGATIVE_INFINITY;
    double z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double logHalf = Math.log(0.5);
    double logAbsBinomial = 0; // log |C(alpha, 0)|
    double sign = 1;
    for (int i = 0; ; i++) {
      double j = alpha - i;
      double logT0 = logAbsBinomial + i * logQ + j * log1mQ;
      double logT1 = logAbsBinomial + j * logQ + i * log1mQ;
      double logE0 = logHalf + LogSpace.logErfc((i - z0) / (Math.sqrt(2) * sigma));
      double logE1 = logHalf + LogSpace.logErfc((z0 - j) / (Math.sqrt(2) * sigma));
      double logS0 = logT0 + ((double) i * i - i) / (2 * sigma * sigma) + logE0;
      double logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
      if (sign > 0) {
        logA0 = LogSpace.add(logA0, logS0);
        logA1 = LogSpace.add(logA1, logS1);
      } else {
        logA0 = LogSpace.subtract(logA0, logS0);
        logA1 = LogSpace.subtract(logA1, logS1);
      }
      if (Math.max(logS0, logS1) < -30) {
        break;
      }
      if (i > 100_000) {
        throw new ArithmeticException("the series of A_alpha did not converge for q=" + q + ", sigma=" + sigma
            + ", alpha=" + alpha);
      }
      // C(alpha, i+1) = C(alpha, i) (alpha - i) / (i + 1)
      logAbsBinomial += Math.log(Math.abs(alpha - i)) - Math.log(i + 1.0);
      sign *= Math.signum(alpha - i);
    }
    return LogSpace.add(logA0, logA1);
  }

  private static List<Double> defaultOrders() {
    List<Double> orders = new ArrayList<>();
    for (int x = 1; x < 100; x++) {
      orders.add(1 + x / 10.0);
    }
    for (int a = 12; a < 64; a++) {
      orders.add((double) a);
    }
    return List.copyOf(orders);
  }
}
