package dev.flotilla.server.status;

import dev.flotilla.protocol.status.JobStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * The job's status as readers outside the round loop see it (the controller's JobObserver.Progress,
 * the web view): a snapshot takes the job's lock, so one is reused for {@link #REUSE}. However often
 * they ask, the round loop is disturbed at most once a second.
 */
public final class RecentStatus implements Supplier<JobStatus> {

  static final Duration REUSE = Duration.ofSeconds(1);

  private final Supplier<JobStatus> snapshot;
  private final Clock clock;
  private JobStatus last;
  private Instant lastAt = Instant.MIN;

  public RecentStatus(Supplier<JobStatus> snapshot, Clock clock) {
    this.snapshot = snapshot;
    this.clock = clock;
  }

  /** A snapshot at most {@link #REUSE} old (the same instance until then). */
  @Override
  public synchronized JobStatus get() {
    Instant now = clock.instant();
    if (last == null || Duration.between(lastAt, now).compareTo(REUSE) >= 0) {
      last = snapshot.get();
      lastAt = now;
    }
    return last;
  }
}
