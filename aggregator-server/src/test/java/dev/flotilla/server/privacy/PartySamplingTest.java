package dev.flotilla.server.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("PartySampling (DP-FedAvg): each party drawn on its own with the rate the accountant is charged for")
class PartySamplingTest {

  private static final int DRAWS = 100_000;

  @ParameterizedTest(name = "rate {0}")
  @ValueSource(doubles = {0.01, 0.1, 0.5, 0.9})
  @DisplayName("over 100 000 draws the share drawn is the rate, within 5 binomial standard deviations")
  void drawsAtTheRate(double rate) {
    PartySampling sampling = new PartySampling(rate, new SecureRandom());

    long drawn = IntStream.range(0, DRAWS).filter(i -> sampling.draw()).count();

    double std = Math.sqrt(DRAWS * rate * (1 - rate));
    assertThat((double) drawn).isBetween(DRAWS * rate - 5 * std, DRAWS * rate + 5 * std);
  }

  @Test
  @DisplayName("rate 1 draws every party")
  void rateOneDrawsEveryone() {
    PartySampling sampling = new PartySampling(1.0, new SecureRandom());

    assertThat(IntStream.range(0, 1000).allMatch(i -> sampling.draw())).isTrue();
  }

  @Test
  @DisplayName("a rate outside (0, 1], NaN included, is refused with the rate")
  void bounds() {
    for (double rate : new double[] {0, -0.1, 1.01, Double.NaN}) {
      assertThatThrownBy(() -> new PartySampling(rate, new SecureRandom()))
          .hasMessage("sampling rate must be in (0, 1], got " + rate);
    }
  }
}
