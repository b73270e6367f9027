package dev.flotilla.server.status;

import dev.flotilla.testing.ManualClock;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.status.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RecentStatus: readers outside the round loop take at most one snapshot of the job a second")
class RecentStatusTest {

  /** A clock the test moves by hand. */

  @Test
  @DisplayName("the same snapshot within a second, a new one once a second has passed")
  void reusesForOneSecond() {
    ManualClock clock = new ManualClock(Instant.parse("2026-12-05T00:00:00Z"));
    AtomicInteger snapshots = new AtomicInteger();
    RecentStatus recent = new RecentStatus(() -> {
      snapshots.incrementAndGet();
      return TerminationMessageTest.finished();
    }, clock);

    JobStatus first = recent.get();
    clock.advance(Duration.ofMillis(999));
    assertThat(recent.get()).isSameAs(first);
    assertThat(snapshots).hasValue(1);

    clock.advance(Duration.ofMillis(1));
    assertThat(recent.get()).isNotSameAs(first);
    assertThat(snapshots).hasValue(2);
  }
}
