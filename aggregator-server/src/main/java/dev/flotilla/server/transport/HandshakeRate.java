package dev.flotilla.server.transport;

import java.util.HashMap;
import java.util.Map;

/**
 * New connections per source group and second, a token bucket per {@link SourceGroup} holding up to
 * one second's worth: every accepted socket costs the server a TLS handshake (a key exchange and a
 * signature), so one place may not start them faster than this, whatever the pending bound leaves
 * it. Not thread-safe (its gate holds the lock).
 */
final class HandshakeRate {

  /** Sources tracked at once; beyond, full buckets are dropped, and if that is not enough, all of them. */
  static final int MAX_SOURCES = 10_000;
  private static final long SECOND = 1_000_000_000L;

  private static final class Bucket {
    double tokens;
    long at;

    Bucket(double tokens, long at) {
      this.tokens = tokens;
      this.at = at;
    }
  }

  private final int perSecond;
  private final Map<String, Bucket> buckets = new HashMap<>();

  HandshakeRate(int perSecond) {
    if (perSecond < 1) {
      throw new IllegalArgumentException("new connections per source and second must be >= 1, got " + perSecond);
    }
    this.perSecond = perSecond;
  }

  /** True when {@code source} may start one more handshake at {@code nanos} (and it is counted). */
  boolean take(String source, long nanos) {
    Bucket bucket = buckets.get(source);
    if (bucket == null) {
      if (buckets.size() >= MAX_SOURCES) {
        forgetIdle(nanos);
      }
      bucket = new Bucket(perSecond, nanos);
      buckets.put(source, bucket);
    }
    refill(bucket, nanos);
    if (bucket.tokens < 1) {
      return false;
    }
    bucket.tokens -= 1;
    return true;
  }

  int perSecond() {
    return perSecond;
  }

  /** Sources tracked now. */
  int tracked() {
    return buckets.size();
  }

  private void refill(Bucket bucket, long nanos) {
    long elapsed = nanos - bucket.at;
    if (elapsed > 0) {
      bucket.tokens = Math.min(perSecond, bucket.tokens + (double) elapsed * perSecond / SECOND);
      bucket.at = nanos;
    }
  }

  /** A full bucket is what a new one would be: dropping it changes nothing. */
  private void forgetIdle(long nanos) {
    buckets.values().removeIf(b -> {
      refill(b, nanos);
      return b.tokens >= perSecond;
    });
    if (buckets.size() >= MAX_SOURCES) {
      buckets.clear(); // that many sources within a second: per-source rates cannot tell them apart anyway
    }
  }
}
