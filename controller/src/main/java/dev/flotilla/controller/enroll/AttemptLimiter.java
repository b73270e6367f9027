package dev.flotilla.controller.enroll;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Bounds enrollment attempts per client address: at most {@code perWindow} in each fixed window, and
 * at most {@value #MAX_ADDRESSES} addresses tracked per window (beyond that every new address is
 * refused until the window turns), so neither guessing tokens nor a flood of sources costs more than a
 * bounded map. Behind an SNI-passthrough ingress every party arrives from the ingress's address, and the
 * bound is then one for all.
 */
public final class AttemptLimiter {
  static final int MAX_ADDRESSES = 10_000;

  private final int perWindow;
  private final Duration window;
  private final Clock clock;
  private final Map<String, Integer> counts = new HashMap<>();
  private long currentWindow = Long.MIN_VALUE;

  public AttemptLimiter(int perWindow, Duration window, Clock clock) {
    if (perWindow < 1) {
      throw new IllegalArgumentException("attempts per window must be at least 1");
    }
    this.perWindow = perWindow;
    this.window = window;
    this.clock = clock;
  }

  /** True when {@code address} may make one more attempt now (and counts it). */
  public synchronized boolean tryAcquire(String address) {
    long now = clock.millis() / window.toMillis();
    if (now != currentWindow) {
      counts.clear();
      currentWindow = now;
    }
    Integer count = counts.get(address);
    if (count == null && counts.size() >= MAX_ADDRESSES) {
      return false;
    }
    int next = count == null ? 1 : count + 1;
    if (next > perWindow) {
      return false;
    }
    counts.put(address, next);
    return true;
  }

  public int perWindow() {
    return perWindow;
  }

  public Duration window() {
    return window;
  }
}
