package dev.flotilla.server.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import dev.flotilla.server.privacy.RdpAccountant.Conversion;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

@DisplayName("RdpAccountant: the sampled Gaussian mechanism's epsilon, as published")
class RdpAccountantTest {

  /** MNIST: 60000 examples, batches of 256, so q = 256/60000 and 60000 // 256 = 234 steps an epoch. */
  private static final double MNIST_Q = 256 / 60000.0;
  private static final int MNIST_STEPS_PER_EPOCH = 60000 / 256;

  /**
   * Expected values: tensorflow/privacy, tutorials/README.md ("Expected Output": epsilon 1.00 after 1
   * epoch, 1.04 after 2, 2.92 after 60 at noise multiplier 1.12; "Select Parameters" table: 2.92 for
   * noise 1.12 and 60 epochs, 9.74 for 0.6 and 30, 1.20 for 1.2 and 10; delta = 1e-5, batch 256),
   * computed by tutorials/mnist_dpsgd_tutorial.py's compute_epsilon with orders 1.1..10.9 and 12..63
   * and the RDP-to-DP conversion of that time (epsilon = rdp - log(delta) / (alpha - 1)).
   */
  @ParameterizedTest(name = "noise {0}, {1} epochs: epsilon {2}")
  @CsvSource({"1.12, 1, 1.00", "1.12, 2, 1.04", "1.12, 60, 2.92", "0.6, 30, 9.74", "1.2, 10, 1.20"})
  @DisplayName("matches TF Privacy's published MNIST DP-SGD figures within 1 % (classic conversion)")
  void tfPrivacyTutorialFigures(double noise, int epochs, double published) {
    double epsilon = RdpAccountant.epsilon(MNIST_Q, noise, (long) epochs * MNIST_STEPS_PER_EPOCH, 1e-5,
        Conversion.CLASSIC).epsilon();

    assertThat(epsilon).isCloseTo(published, withinPercentage(1));
  }

  /**
   * The conversion the budget is enforced with ({@link PrivacyLedger}: IMPROVED), against the figures Google's
   * dp_accounting pins in rdp/rdp_privacy_accountant_test.py: a constant RDP of 1.1 at orders 2..32 is
   * (1.32783806176, 1e-5)-DP at order 32 (test_compute_epsilon_delta_pure_dp), and the Gaussian mechanism with
   * noise multiplier 4.530877117 is exactly (1, 1e-6)-DP over orders 1.001..99.999
   * (test_compute_epsilon_delta_gaussian; it starts at 1.000, an order this accountant refuses).
   */
  @Test
  @DisplayName("the improved conversion, which the budget is enforced with, matches dp_accounting's published figures")
  void improvedConversionAsPublished() {
    List<Double> integerOrders = IntStream.rangeClosed(2, 32).mapToObj(a -> (double) a).toList();
    double[] constant = new double[integerOrders.size()];
    Arrays.fill(constant, 1.1);
    RdpAccountant.Spent pure = RdpAccountant.epsilon(constant, integerOrders, 1, 1e-5, Conversion.IMPROVED);
    assertThat(pure.epsilon()).isCloseTo(1.32783806176, within(1e-9));
    assertThat(pure.order()).isEqualTo(32.0);

    List<Double> fine = IntStream.range(1001, 100000).mapToObj(i -> i * 0.001).toList();
    RdpAccountant.Spent gaussian = RdpAccountant.epsilon(RdpAccountant.rdpPerStep(1.0, 4.530877117, fine), fine, 1,
        1e-6, Conversion.IMPROVED);
    assertThat(gaussian.epsilon()).isCloseTo(1.0, within(1e-6));
  }

  /**
   * The sampled Gaussian's RDP at integer orders (and 2.5), against dp_accounting's
   * test_compute_rdp_poisson_sampled_gaussian (q 0.01, noise 2.5, 50 steps; its tolerance, 1e-4 relative).
   * Its figure at order 1.5 is left out: dp_accounting sums the fractional series with |C(alpha, i)|, an upper
   * bound 3 % above A_alpha there; this accountant keeps the signs (as Opacus does), which gives A_alpha itself
   * ({@link #fractionalOrdersAreTheIntegral}).
   */
  @ParameterizedTest(name = "order {0}: {1}")
  @CsvSource({"2.5, 1.08548710e-03", "5, 2.18075656e-03", "50, 2.38460375e-02", "100, 1.67416308e02"})
  @DisplayName("the sampled Gaussian's RDP of 50 steps at q 0.01, noise 2.5, matches dp_accounting's figures")
  void sampledGaussianRdpAsPublished(double order, double published) {
    assertThat(50 * RdpAccountant.rdp(0.01, 2.5, order)).isCloseTo(published, withinPercentage(0.01));
  }

  /**
   * A_alpha is E[((1 - q) + q exp((2z - 1) / (2 sigma^2)))^alpha] over z ~ N(0, sigma^2) (Mironov et al. 2019,
   * section 3.3); here by the trapezoid rule (which converges fast on such smooth, Gaussian-tailed integrands).
   */
  @ParameterizedTest(name = "q {0}, noise {1}, order {2}")
  @CsvSource({"0.01, 2.5, 1.5", "0.01, 2.5, 2.5", "0.1, 1.0, 1.5", "0.1, 1.0, 7.3", "0.3, 2.0, 3.7"})
  @DisplayName("at fractional orders the RDP is log(A_alpha) / (alpha - 1) with A_alpha integrated numerically")
  void fractionalOrdersAreTheIntegral(double q, double sigma, double alpha) {
    double h = sigma / 1000;
    double a = 0;
    for (double z = -50 * sigma; z <= 50 * sigma + alpha; z += h) {
      double density = Math.exp(-z * z / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
      a += density * Math.pow((1 - q) + q * Math.exp((2 * z - 1) / (2 * sigma * sigma)), alpha) * h;
    }

    assertThat(RdpAccountant.rdp(q, sigma, alpha)).isCloseTo(Math.log(a) / (alpha - 1), withinPercentage(0.01));
  }

  @ParameterizedTest(name = "noise {0}, {1} epochs")
  @CsvSource({"1.12, 1", "1.12, 60", "0.6, 30", "1.2, 10", "4.0, 100"})
  @DisplayName("the improved conversion (Canonne et al. / Balle et al.) is never above the classic one, and "
      + "within the 1/(alpha-1) log(alpha) it can gain")
  void improvedIsTighter(double noise, int epochs) {
    long steps = (long) epochs * MNIST_STEPS_PER_EPOCH;
    double classic = RdpAccountant.epsilon(MNIST_Q, noise, steps, 1e-5, Conversion.CLASSIC).epsilon();
    double improved = RdpAccountant.epsilon(MNIST_Q, noise, steps, 1e-5, Conversion.IMPROVED).epsilon();

    assertThat(improved).isLessThan(classic).isGreaterThan(classic * 0.6);
  }

  @Test
  @DisplayName("without sampling (q = 1) each step is the Gaussian mechanism: rdp = alpha / (2 sigma^2)")
  void fullParticipationIsTheGaussianMechanism() {
    assertThat(RdpAccountant.rdp(1.0, 2.0, 8)).isEqualTo(1.0);
    assertThat(RdpAccountant.rdp(1.0, 2.0, 2.5)).isEqualTo(2.5 / 8);
    // the integer and fractional series agree where they meet (alpha -> 3 from both sides)
    assertThat(RdpAccountant.rdp(0.01, 1.1, 3.0000001)).isCloseTo(RdpAccountant.rdp(0.01, 1.1, 3), within(1e-6));
  }

  @Test
  @DisplayName("epsilon grows with the steps, and sampling less often costs less")
  void monotone() {
    double few = RdpAccountant.epsilon(0.1, 1.0, 10, 1e-5, Conversion.IMPROVED).epsilon();
    double more = RdpAccountant.epsilon(0.1, 1.0, 100, 1e-5, Conversion.IMPROVED).epsilon();
    double rarer = RdpAccountant.epsilon(0.01, 1.0, 100, 1e-5, Conversion.IMPROVED).epsilon();

    assertThat(few).isLessThan(more);
    assertThat(rarer).isLessThan(more);
    assertThat(RdpAccountant.epsilon(0.1, 1.0, 0, 1e-5, Conversion.IMPROVED).epsilon()).isZero();
  }
}
