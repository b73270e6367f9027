package dev.flotilla.server.transport;

import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sockets a listener keeps open, so that a flood keeps nobody else out. A socket is counted when
 * it is accepted, before any byte of it is read; then:
 * <ul>
 *   <li>Until its TLS handshake finishes it is <em>pending</em>. Anyone can open one, with or without
 *       a certificate, so pending sockets are bounded ({@link Limits#pendingHandshakes}) and each must
 *       finish its handshake within {@link Limits#handshakeTimeout}. A new socket that finds the
 *       pending ones at their bound, or all {@link Limits#total} sockets open, closes the oldest
 *       pending one instead of being refused: sockets that never handshake cannot hold the port, and
 *       an honest handshake (milliseconds) finishes long before a flood reaches it.</li>
 *   <li>Once the handshake named the peer, at most {@link Limits#perIdentity} sockets per identity
 *       (times its virtual parties for a virtual-party host: {@link IdentityCaps}); one beyond is
 *       closed, so one certificate cannot fill the port either.</li>
 *   <li>Refused outright only: a socket beyond {@link Limits#perSource} from one IP address (0: no
 *       such cap; parties behind one NAT or ingress share an address), or beyond {@link Limits#total}
 *       when no socket is pending (all are past their handshake).</li>
 * </ul>
 * Every socket closed here is logged with its cause, at most once per {@link #LOG_INTERVAL_NANOS}
 * per cause (a flood must not become a flood of log lines).
 */
public final class ConnectionGate {

  private static final Logger log = LoggerFactory.getLogger(ConnectionGate.class);
  static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

  /**
   * @param total sockets open at once, pending or not
   * @param perSource sockets from one IP address (0: no cap)
   * @param pendingHandshakes sockets whose TLS handshake has not finished
   * @param handshakeTimeout time from accepting a socket to its finished handshake
   * @param perIdentity sockets per peer identity after the handshake (0: no cap; see {@link IdentityCaps})
   */
  public record Limits(int total, int perSource, int pendingHandshakes, Duration handshakeTimeout, int perIdentity) {
    public Limits {
      if (total < 1 || perSource < 0 || pendingHandshakes < 1 || perIdentity < 0 || handshakeTimeout.isNegative()
          || handshakeTimeout.isZero()) {
        throw new IllegalArgumentException("connection caps: total " + total + " and pending handshakes "
            + pendingHandshakes + " must be >= 1, per source " + perSource + " and per identity " + perIdentity
            + " >= 0, the handshake timeout " + handshakeTimeout + " positive");
      }
    }

    /** No cap but the handshake's own (tests and the in-process server). */
    public static Limits none() {
      return new Limits(Integer.MAX_VALUE, 0, Integer.MAX_VALUE, Duration.ofSeconds(10), 0);
    }
  }

  /** A counted socket. */
  private static final class Entry {
    final SocketAddress remote;
    final InetAddress source;
    final long acceptedNanos = System.nanoTime();
    /** Its identity once its handshake finished and it was counted for it; null before, or when not capped. */
    String identity;
    /** Its handshake deadline, cancelled once it is no longer pending: a flood's timer tasks must not hold its sockets. */
    Future<?> deadline;

    Entry(SocketAddress remote) {
      this.remote = remote;
      this.source = remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }
  }

  private final String jobId;
  private final String listener;
  private final Limits limits;
  private final Map<Channel, Entry> open = new HashMap<>();
  /** The pending sockets, oldest first. */
  private final LinkedHashMap<Channel, Entry> pending = new LinkedHashMap<>();
  private final Map<InetAddress, Integer> bySource = new HashMap<>();
  private final Map<String, Integer> byIdentity = new HashMap<>();
  private final Map<String, LogThrottle> logs = new HashMap<>();
  private long closed;

  /** {@code listener} names the port in log lines ("gRPC", "bulk-upload"). */
  public ConnectionGate(String jobId, String listener, Limits limits) {
    this.jobId = jobId;
    this.listener = listener;
    this.limits = limits;
  }

  public Limits limits() {
    return limits;
  }

  /**
   * Counts {@code socket}, just accepted: true when it may stay (it is pending until {@link
   * #handshakeFinished}; its deadline runs on {@code timer}; call {@link #closed} when it closes);
   * false when it must be closed unread, counted nowhere, the refusal logged. May close the oldest
   * pending socket to make room.
   */
  public boolean admit(Channel socket, ScheduledExecutorService timer) {
    Entry entry = new Entry(socket.remoteAddress());
    Channel evicted = null;
    synchronized (this) {
      if (limits.perSource() > 0 && entry.source != null
          && bySource.getOrDefault(entry.source, 0) >= limits.perSource()) {
        closedHere("per-source", entry.remote, "closed before its TLS handshake: " + limits.perSource()
            + " connections from " + entry.source.getHostAddress() + " are open already (--max-connections-per-source)");
        return false;
      }
      String reason = null;
      if (open.size() >= limits.total()) {
        if (pending.isEmpty()) {
          closedHere("total", entry.remote, "closed before its TLS handshake: " + limits.total() + " connections are "
              + "open already, all past their handshake (--max-connections)");
          return false;
        }
        reason = limits.total() + " connections are open (--max-connections)";
      } else if (pending.size() >= limits.pendingHandshakes()) {
        reason = limits.pendingHandshakes() + " TLS handshakes are unfinished (--max-pending-handshakes)";
      }
      if (reason != null) {
        Map.Entry<Channel, Entry> oldest = pending.entrySet().iterator().next();
        evicted = oldest.getKey();
        closedHere("evicted", oldest.getValue().remote, "closed before its TLS handshake finished, after "
            + (System.nanoTime() - oldest.getValue().acceptedNanos) / 1_000_000 + " ms, the oldest of the unfinished "
            + "ones, to make room for a new connection: " + reason);
        forget(evicted);
      }
      open.put(socket, entry);
      pending.put(socket, entry);
      if (entry.source != null && limits.perSource() > 0) {
        bySource.merge(entry.source, 1, Integer::sum);
      }
    }
    if (evicted != null) {
      closeNow(evicted);
    }
    Future<?> deadline = timer.schedule(() -> {
      boolean late;
      synchronized (this) {
        late = pending.containsKey(socket);
        if (late) {
          closedHere("handshake timeout", entry.remote, "closed: its TLS handshake did not finish within "
              + limits.handshakeTimeout().toMillis() + " ms (--handshake-timeout)");
          forget(socket);
        }
      }
      if (late) {
        closeNow(socket);
      }
    }, limits.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS);
    synchronized (this) {
      if (pending.containsKey(socket)) {
        entry.deadline = deadline;
        return true;
      }
    }
    deadline.cancel(false); // its handshake finished, or it was closed, before the deadline was set
    return true;
  }

  /**
   * The TLS handshake of {@code socket} finished and named {@code peer} (null: not capped per
   * identity), who may hold {@code cap} sockets (0: no cap). Returns false when the socket must be
   * closed: beyond the peer's cap (logged), or already closed here (its deadline, or evicted).
   */
  public boolean handshakeFinished(Channel socket, String peer, int cap) {
    synchronized (this) {
      Entry entry = pending.remove(socket);
      if (entry == null) {
        return false;
      }
      cancelDeadline(entry);
      if (peer == null || cap == 0) {
        return true;
      }
      int held = byIdentity.getOrDefault(peer, 0);
      if (held >= cap) {
        closedHere("identity " + peer, entry.remote, "closed after its TLS handshake: " + peer + " has " + held
            + " connections open already, its cap (--max-connections-per-identity)");
        return false;
      }
      byIdentity.put(peer, held + 1);
      entry.identity = peer;
      return true;
    }
  }

  /** {@code socket}, counted by {@link #admit}, closed. */
  public synchronized void closed(Channel socket) {
    forget(socket);
  }

  /** True while {@code socket} is counted: admitted, and not closed or closed by this gate since. */
  public synchronized boolean holds(Channel socket) {
    return open.containsKey(socket);
  }

  /** Sockets open now. */
  public synchronized int open() {
    return open.size();
  }

  /** Sockets whose handshake has not finished. */
  public synchronized int pending() {
    return pending.size();
  }

  /** Sockets refused or closed by this gate since it was made. */
  public synchronized long refused() {
    return closed;
  }

  private void forget(Channel socket) {
    Entry entry = open.remove(socket);
    if (entry == null) {
      return;
    }
    pending.remove(socket);
    cancelDeadline(entry);
    if (entry.source != null && limits.perSource() > 0) {
      bySource.computeIfPresent(entry.source, (s, n) -> n <= 1 ? null : n - 1);
    }
    if (entry.identity != null) {
      byIdentity.computeIfPresent(entry.identity, (s, n) -> n <= 1 ? null : n - 1);
    }
  }

  private static void cancelDeadline(Entry entry) {
    if (entry.deadline != null) {
      entry.deadline.cancel(false);
      entry.deadline = null;
    }
  }

  /**
   * Closes a socket this gate no longer counts. One accepted a moment ago may not be registered with
   * an event loop yet; it is not touched then: closing it from here (closeForcibly) would never run
   * its close listeners, and whatever counted it would count it forever. Its listener's first handler
   * closes it as it is registered, asking {@link #holds} (Connections; the bulk-upload port admits
   * registered sockets only). A socket found unregistered here is registered later, and its handler
   * asks after this gate forgot it.
   */
  private static void closeNow(Channel socket) {
    if (socket.isRegistered()) {
      socket.close();
    }
  }

  /** Logs a socket closed here, at most one line per cause per {@link #LOG_INTERVAL_NANOS}. Holds the lock. */
  private void closedHere(String cause, SocketAddress remote, String what) {
    closed++;
    if (logs.size() > 1000) {
      logs.clear(); // causes named by identities: bounded
    }
    long suppressed = logs.computeIfAbsent(cause, c -> new LogThrottle()).due();
    if (suppressed >= 0) {
      log.warn("job {}: {} connection from {} {}{}", jobId, listener, remote, what,
          suppressed == 0 ? "" : " (and " + suppressed + " more like it since the last line)");
    }
  }

  /** Lets a line through once per interval; counts the ones it held back. */
  private static final class LogThrottle {
    private long next = System.nanoTime();
    private long held;

    /** -1: hold this one back; else the number held back since the last line. */
    long due() {
      long now = System.nanoTime();
      if (now - next < 0) {
        held++;
        return -1;
      }
      next = now + LOG_INTERVAL_NANOS;
      long before = held;
      held = 0;
      return before;
    }
  }
}
