package dev.flotilla.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HandshakeRateTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  @DisplayName("a source gets a burst of one second's worth, then the rate; another source has its own")
  void aBurstThenTheRate() {
    HandshakeRate rate = new HandshakeRate(2);
    assertThat(rate.take("a", 0)).isTrue();
    assertThat(rate.take("a", 0)).isTrue();
    assertThat(rate.take("a", 0)).isFalse();
    assertThat(rate.take("b", 0)).isTrue();
    assertThat(rate.take("a", SECOND / 2)).as("half a second later: one more").isTrue();
    assertThat(rate.take("a", SECOND / 2)).isFalse();
    assertThat(rate.take("a", 10 * SECOND)).isTrue();
    assertThat(rate.take("a", 10 * SECOND)).as("the burst never exceeds one second's worth").isTrue();
    assertThat(rate.take("a", 10 * SECOND)).isFalse();
  }

  @Test
  @DisplayName("the sources tracked stay bounded under a flood from ever new addresses, whether they go idle or not")
  void theSourcesTrackedAreBounded() {
    HandshakeRate rate = new HandshakeRate(1);
    for (int i = 0; i < 3 * HandshakeRate.MAX_SOURCES; i++) {
      rate.take("10.0." + i, (long) i * SECOND); // each idle (full again) a second after its socket
      assertThat(rate.tracked()).isLessThanOrEqualTo(HandshakeRate.MAX_SOURCES);
    }
    HandshakeRate fresh = new HandshakeRate(1);
    for (int i = 0; i < HandshakeRate.MAX_SOURCES + 5; i++) {
      fresh.take("10.0." + i, SECOND / 2); // all within the second: none idle
    }
    assertThat(fresh.tracked()).isLessThanOrEqualTo(HandshakeRate.MAX_SOURCES);
  }

  @Test
  void aRateBelowOneIsRefused() {
    assertThatThrownBy(() -> new HandshakeRate(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
