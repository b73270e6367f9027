package dev.flotilla.server.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WeightedMeanTest {

  @Test
  @DisplayName("the weighted mean of plain values")
  void mean() {
    assertThat(new WeightedMean().add(1, 100).add(2, 300).value()).isCloseTo(1.75, within(1e-15));
    assertThat(new WeightedMean().value()).isNull();
  }

  @Test
  @DisplayName("huge finite values and weights give a finite mean, where sum(value * weight) / sum(weight) overflows")
  void noOverflow() {
    double naive = (1e307 * 1e12 + 1e307 * 1e12) / 2e12;
    assertThat(naive).isInfinite();
    assertThat(new WeightedMean().add(1e307, 1e12).add(1e307, 1e12).value()).isCloseTo(1e307, within(1e293));
    assertThat(new WeightedMean().add(Double.MAX_VALUE, 1).add(Double.MAX_VALUE, 1).add(Double.MAX_VALUE, 1).value())
        .isFinite();
    assertThat(new WeightedMean().add(-Double.MAX_VALUE, 3).add(-Double.MAX_VALUE, 7).value()).isFinite();
  }

  @Test
  @DisplayName("non-finite values and weights that are not positive are left out")
  void ignored() {
    WeightedMean mean = new WeightedMean().add(Double.NaN, 1).add(Double.POSITIVE_INFINITY, 1).add(5, 0).add(5, -1)
        .add(5, Double.NaN);
    assertThat(mean.isEmpty()).isTrue();
    assertThat(mean.add(0.5, 10).value()).isEqualTo(0.5);
  }
}
