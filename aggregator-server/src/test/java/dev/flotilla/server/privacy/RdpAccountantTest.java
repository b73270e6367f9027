package dev.flotilla.server.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import dev.flotilla.server.privacy.RdpAccountant.Conversion;
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
