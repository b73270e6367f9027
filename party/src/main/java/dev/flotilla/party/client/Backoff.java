package dev.flotilla.party.client;

import java.time.Duration;
import java.util.Random;

/**
 * Exponential backoff with jitter for reconnecting: initial, x2 per failure up to a ceiling,
 * each delay spread by +-20% so parties that lost the same server do not return in lockstep.
 */
public final class Backoff {
  private final Duration initial;
  private final Duration max;
  private final Random random;
  private Duration next;

  public Backoff(Duration initial, Duration max, long seed) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + " and " + max);
    }
    this.initial = initial;
    this.max = max;
    this.random = new Random(seed);
    this.next = initial;
  }

  /** The delay before the next attempt; each call doubles the following one, up to the ceiling. */
  public Duration nextDelay() {
    Duration base = next;
    Duration doubled = next.multipliedBy(2);
    next = doubled.compareTo(max) > 0 ? max : doubled;
    double factor = 0.8 + 0.4 * random.nextDouble();
    return Duration.ofNanos((long) (base.toNanos() * factor));
  }

  /** After a success: the next failure starts again from the initial delay. */
  public void reset() {
    next = initial;
  }
}
