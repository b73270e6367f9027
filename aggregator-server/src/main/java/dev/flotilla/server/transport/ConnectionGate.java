package dev.flotilla.server.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many sockets a listener keeps open, counted when a socket is accepted, before its TLS
 * handshake: a handshake is the expensive part of a connection (a key exchange, a certificate
 * chain to check), and anyone can start one, with or without a certificate. At most {@code total}
 * at once, and at most {@code perSource} from one IP address (0: no cap per source; parties behind
 * one NAT, proxy or virtual-party host share an address). A socket beyond either is closed at once,
 * before any byte of it is read or written, and the refusal is logged with its reason, at most once
 * per {@link #LOG_INTERVAL_NANOS} (a flood must not become a flood of log lines).
 */
public final class ConnectionGate {

  private static final Logger log = LoggerFactory.getLogger(ConnectionGate.class);
  static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

  private final String jobId;
  private final String listener;
  private final int total;
  private final int perSource;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> bySource = new ConcurrentHashMap<>();
  private final AtomicLong nextLogNanos = new AtomicLong(System.nanoTime());
  private final AtomicLong refusedSinceLog = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();

  /** {@code listener} names the port in log lines ("gRPC", "bulk-upload"). */
  public ConnectionGate(String jobId, String listener, int total, int perSource) {
    if (total < 1 || perSource < 0) {
      throw new IllegalArgumentException("connection caps: total " + total + " must be >= 1, per source "
          + perSource + " >= 0");
    }
    this.jobId = jobId;
    this.listener = listener;
    this.total = total;
    this.perSource = perSource;
  }

  /**
   * Counts a socket just accepted from {@code remote}: true when it may stay (then call
   * {@link #release} once with the same address when it closes); false when it must be closed,
   * counted nowhere, the refusal logged.
   */
  public boolean admit(SocketAddress remote) {
    if (open.incrementAndGet() > total) {
      open.decrementAndGet();
      refuse(remote, total + " connections are open already");
      return false;
    }
    InetAddress source = sourceOf(remote);
    if (perSource > 0 && source != null) {
      boolean[] full = {false};
      bySource.compute(source, (s, count) -> {
        int now = count == null ? 0 : count;
        full[0] = now >= perSource;
        return full[0] ? count : now + 1;
      });
      if (full[0]) {
        open.decrementAndGet();
        refuse(remote, perSource + " connections from " + source.getHostAddress() + " are open already");
        return false;
      }
    }
    return true;
  }

  /** A socket that {@link #admit} let in closed. */
  public void release(SocketAddress remote) {
    open.decrementAndGet();
    InetAddress source = sourceOf(remote);
    if (perSource > 0 && source != null) {
      bySource.computeIfPresent(source, (s, count) -> count <= 1 ? null : count - 1);
    }
  }

  /** Sockets open now. */
  public int open() {
    return open.get();
  }

  /** Sockets refused since this gate was made. */
  public long refused() {
    return refused.get();
  }

  private void refuse(SocketAddress remote, String reason) {
    refused.incrementAndGet();
    long suppressed = refusedSinceLog.incrementAndGet();
    long now = System.nanoTime();
    long due = nextLogNanos.get();
    if (now - due >= 0 && nextLogNanos.compareAndSet(due, now + LOG_INTERVAL_NANOS)) {
      refusedSinceLog.addAndGet(-suppressed);
      log.warn("job {}: {} connection from {} closed before its TLS handshake: {} ({} refused since the last line like this, this one included)",
          jobId, listener, remote, reason, suppressed);
    }
  }

  private static InetAddress sourceOf(SocketAddress remote) {
    return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
  }
}
