package dev.flotilla.party.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The deadline of one share delivery, from the round's deadline (no clock: the times are given). */
class PeerShareCourierTest {
  private static final long NOW = 1_800_000_000_000L;

  @Test
  @DisplayName("a tenth of what is left of the round, at least 1 s and at most 10 s; 10 s without a round deadline")
  void deliveryDeadlineFollowsTheRoundTimeout() {
    assertThat(PeerShareCourier.deliveryDeadline(NOW + 25_000, NOW)).isEqualTo(Duration.ofMillis(2_500));
    assertThat(PeerShareCourier.deliveryDeadline(NOW + 60_000, NOW)).isEqualTo(Duration.ofSeconds(6));
    assertThat(PeerShareCourier.deliveryDeadline(NOW + 600_000, NOW)).isEqualTo(Duration.ofSeconds(10));
    assertThat(PeerShareCourier.deliveryDeadline(NOW + 5_000, NOW)).isEqualTo(Duration.ofSeconds(1));
    assertThat(PeerShareCourier.deliveryDeadline(NOW - 5_000, NOW)).as("a deadline passed (or a skewed clock)")
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(PeerShareCourier.deliveryDeadline(0, NOW)).as("no deadline set").isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  @DisplayName("the aggregator's share phase (a fifth of --round-timeout, at least 5 s) outlasts the delivery deadline "
      + "for every round timeout from 5 s to an hour")
  void deliveriesEndWithinTheSharePhase() {
    for (long timeoutSeconds = 5; timeoutSeconds <= 3600; timeoutSeconds += 5) {
      Duration sharePhase = Duration.ofSeconds(Math.max(5, timeoutSeconds / 5));
      Duration delivery = PeerShareCourier.deliveryDeadline(NOW + timeoutSeconds * 1000, NOW);
      assertThat(delivery).as("--round-timeout %d s", timeoutSeconds).isLessThan(sharePhase);
    }
  }
}
