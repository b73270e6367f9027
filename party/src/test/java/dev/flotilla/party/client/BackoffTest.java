package dev.flotilla.party.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  @DisplayName("delays double from the initial one up to the ceiling, within +-20% jitter")
  void doublesToCeiling() {
    Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(8), 1);
    long[] bases = {500, 1000, 2000, 4000, 8000, 8000, 8000};
    for (long base : bases) {
      assertThat(backoff.nextDelay().toMillis()).isBetween((long) (base * 0.8), (long) (base * 1.2));
    }
  }

  @Test
  @DisplayName("after a reset the next delay is the initial one again")
  void resets() {
    Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(8), 2);
    for (int i = 0; i < 5; i++) {
      backoff.nextDelay();
    }
    backoff.reset();
    assertThat(backoff.nextDelay().toMillis()).isBetween(400L, 600L);
  }

  @Test
  @DisplayName("parties with different seeds spread their retries apart")
  void jitterDiffers() {
    Duration a = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 1).nextDelay();
    Duration b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 2).nextDelay();
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  @DisplayName("a zero initial delay or a ceiling below it is refused")
  void invalid() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
