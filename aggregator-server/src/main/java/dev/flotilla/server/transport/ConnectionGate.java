package dev.flotilla.server.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sockets a listener keeps open, so that a flood keeps nobody else out. A socket is counted when
 * it is accepted, before any byte of it is read, by its {@link SourceGroup} (an IPv4 address, an
 * IPv6 /64); then:
 * <ul>
 *   <li>One source may start at most {@link Limits#handshakesPerSecond} new connections a second
 *       (every one costs a TLS handshake); one beyond is closed unread.</li>
 *   <li>Until its TLS handshake finishes it is <em>pending</em>. Anyone can open one, with or without
 *       a certificate, so pending sockets are bounded ({@link Limits#pendingHandshakes}) and each must
 *       finish its handshake within {@link Limits#handshakeTimeout}. A new socket that finds the
 *       pending ones at their bound, or all {@link Limits#total} sockets open, closes a pending one
 *       instead of being refused: the oldest of the source holding the most ({@link
 *       PendingHandshakes}). Sockets that never handshake cannot hold the port, a flood from one
 *       place closes its own sockets and not a handshake in flight from elsewhere, and an honest
 *       handshake (milliseconds) finishes long before a flood from many places reaches it.</li>
 *   <li>Once the handshake named the peer, at most its {@link IdentityCaps.Cap#limit} sockets per
 *       identity ({@link IdentityCaps}); one beyond is closed, so one certificate cannot fill the port
 *       either.</li>
 *   <li>A new socket that finds all {@link Limits#total} open and none pending closes the oldest
 *       socket of the identity holding the most: one that is no party of this job first (most
 *       sockets first), then the one with the most sockets per party it stands for. An identity's
 *       only socket per party is never closed for a newcomer: when no identity holds more, the
 *       newcomer is refused.</li>
 *   <li>Refused outright also: a socket beyond {@link Limits#perSource} from one source (0: no such
 *       cap; parties behind one NAT or ingress share an address).</li>
 * </ul>
 * Every socket closed here is logged with its cause, at most once per {@link #LOG_INTERVAL_NANOS}
 * per cause (a flood must not become a flood of log lines).
 */
public final class ConnectionGate {

  private static final Logger log = LoggerFactory.getLogger(ConnectionGate.class);
  static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

  /**
   * @param total sockets open at once, pending or not
   * @param perSource sockets from one source group (0: no cap)
   * @param pendingHandshakes sockets whose TLS handshake has not finished
   * @param handshakeTimeout time from accepting a socket to its finished handshake
   * @param perIdentity sockets per party identity after the handshake (0: no cap; see {@link IdentityCaps})
   * @param handshakesPerSecond new sockets one source group may open per second
   */
  public record Limits(int total, int perSource, int pendingHandshakes, Duration handshakeTimeout, int perIdentity,
      int handshakesPerSecond) {
    public Limits {
      if (total < 1 || perSource < 0 || pendingHandshakes < 1 || perIdentity < 0 || handshakesPerSecond < 1
          || handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
        throw new IllegalArgumentException("connection caps: total " + total + ", pending handshakes "
            + pendingHandshakes + " and new connections per source and second " + handshakesPerSecond
            + " must be >= 1, per source " + perSource + " and per identity " + perIdentity
            + " >= 0, the handshake timeout " + handshakeTimeout + " positive");
      }
    }

    /** No cap but the handshake's own (tests and the in-process server). */
    public static Limits none() {
      return new Limits(Integer.MAX_VALUE, 0, Integer.MAX_VALUE, Duration.ofSeconds(10), 0, Integer.MAX_VALUE);
    }
  }

  /** A counted socket. */
  private static final class Entry {
    final SocketAddress remote;
    final String source;
    final long acceptedNanos;
    /** Its identity once its handshake finished and it was counted for it; null before, or when not capped. */
    String identity;
    /** Its handshake deadline, cancelled once it is no longer pending: a flood's timer tasks must not hold its sockets. */
    Future<?> deadline;

    Entry(SocketAddress remote, long acceptedNanos) {
      this.remote = remote;
      this.source = SourceGroup.of(remote);
      this.acceptedNanos = acceptedNanos;
    }
  }

  /** The sockets one identity holds, oldest first. */
  private record Holder(IdentityCaps.Cap cap, LinkedHashSet<Channel> sockets) {
    /** One that is no party of this job, or holds more than one socket per party it stands for. */
    boolean mayLoseOne() {
      return cap.notAParty() || sockets.size() > cap.parties();
    }
  }

  /** The identity to close a socket of first: no party of this job, then most sockets per party, then most. */
  private static final Comparator<Holder> WORST_FIRST = Comparator.<Holder, Boolean>comparing(h -> !h.cap().notAParty())
      .thenComparing((a, b) -> Long.compare((long) b.sockets().size() * a.cap().parties(),
          (long) a.sockets().size() * b.cap().parties()))
      .thenComparing(h -> -h.sockets().size())
      .thenComparing(h -> h.cap().peer());

  private final String jobId;
  private final String listener;
  private final Limits limits;
  private final LongSupplier nanoTime;
  private final Map<Channel, Entry> open = new HashMap<>();
  private final PendingHandshakes pending = new PendingHandshakes();
  private final HandshakeRate rate;
  private final Map<String, Integer> bySource = new HashMap<>();
  private final Map<String, Holder> byIdentity = new HashMap<>();
  private final Map<String, LogThrottle> logs = new HashMap<>();
  private long closed;

  /** {@code listener} names the port in log lines ("gRPC", "bulk-upload"). */
  public ConnectionGate(String jobId, String listener, Limits limits) {
    this(jobId, listener, limits, System::nanoTime);
  }

  /** The same, reading the time from {@code nanoTime} (tests move it). */
  ConnectionGate(String jobId, String listener, Limits limits, LongSupplier nanoTime) {
    this.jobId = jobId;
    this.listener = listener;
    this.limits = limits;
    this.nanoTime = nanoTime;
    this.rate = new HandshakeRate(limits.handshakesPerSecond());
  }

  public Limits limits() {
    return limits;
  }

  /**
   * Counts {@code socket}, just accepted: true when it may stay (it is pending until {@link
   * #handshakeFinished}; its deadline runs on {@code timer}; call {@link #closed} when it closes);
   * false when it must be closed unread, counted nowhere, the refusal logged. May close another
   * socket to make room.
   */
  public boolean admit(Channel socket, ScheduledExecutorService timer) {
    long now = nanoTime.getAsLong();
    Entry entry = new Entry(socket.remoteAddress(), now);
    Channel evicted = null;
    synchronized (this) {
      if (limits.perSource() > 0 && bySource.getOrDefault(entry.source, 0) >= limits.perSource()) {
        closedHere("per-source", entry.remote, "closed before its TLS handshake: " + limits.perSource()
            + " connections from " + entry.source + " are open already (--max-connections-per-source)");
        return false;
      }
      if (!rate.take(entry.source, now)) {
        closedHere("handshake rate", entry.remote, "closed before its TLS handshake: " + rate.perSecond()
            + " new connections from " + entry.source + " within a second already (--max-handshakes-per-source)");
        return false;
      }
      String reason = null;
      if (open.size() >= limits.total()) {
        if (pending.isEmpty()) {
          evicted = evictForNewcomer();
          if (evicted == null) {
            closedHere("total", entry.remote, "closed before its TLS handshake: " + limits.total() + " connections are "
                + "open already, all past their handshake, each identity at one per party it stands for "
                + "(--max-connections)");
            return false;
          }
        } else {
          reason = limits.total() + " connections are open (--max-connections)";
        }
      } else if (pending.size() >= limits.pendingHandshakes()) {
        reason = limits.pendingHandshakes() + " TLS handshakes are unfinished (--max-pending-handshakes)";
      }
      if (reason != null) {
        evicted = pending.toEvict();
        Entry oldest = open.get(evicted);
        closedHere("evicted", oldest.remote, "closed before its TLS handshake finished, after "
            + (now - oldest.acceptedNanos) / 1_000_000 + " ms, the oldest of the unfinished ones from "
            + oldest.source + ", the source holding the most (" + pending.of(oldest.source)
            + "), to make room for a new connection: " + reason);
        forget(evicted);
      }
      open.put(socket, entry);
      pending.add(socket, entry.source);
      if (limits.perSource() > 0) {
        bySource.merge(entry.source, 1, Integer::sum);
      }
    }
    if (evicted != null) {
      closeNow(evicted);
    }
    Future<?> deadline = timer.schedule(() -> {
      boolean late;
      synchronized (this) {
        late = pending.contains(socket);
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
      if (pending.contains(socket)) {
        entry.deadline = deadline;
        return true;
      }
    }
    deadline.cancel(false); // its handshake finished, or it was closed, before the deadline was set
    return true;
  }

  /** All sockets open, none pending: forgets (and returns) the oldest socket of the worst identity; null when none may lose one. Holds the lock. */
  private Channel evictForNewcomer() {
    Holder worst = byIdentity.values().stream().filter(Holder::mayLoseOne).min(WORST_FIRST).orElse(null);
    if (worst == null) {
      return null;
    }
    Channel oldest = worst.sockets().iterator().next();
    IdentityCaps.Cap cap = worst.cap();
    closedHere("evicted " + cap.peer(), open.get(oldest).remote, "closed, the oldest connection of " + cap.peer()
        + ", to make room for a new connection: " + limits.total() + " connections are open, all past their "
        + "handshake (--max-connections), and " + cap.peer() + " holds " + worst.sockets().size() + " of them, "
        + (cap.notAParty() ? "no party of job " + jobId : "the most per party it stands for (" + cap.parties() + ")"));
    forget(oldest);
    return oldest;
  }

  /**
   * The TLS handshake of {@code socket} finished and named the peer {@code cap} counts (null peer:
   * not counted per identity). Returns false when the socket must be closed: beyond the peer's cap
   * (logged), or already closed here (its deadline, or evicted).
   */
  public boolean handshakeFinished(Channel socket, IdentityCaps.Cap cap) {
    synchronized (this) {
      Entry entry = open.get(socket);
      if (entry == null || !pending.remove(socket)) {
        return false;
      }
      cancelDeadline(entry);
      if (cap.peer() == null || cap.limit() == 0) {
        return true;
      }
      Holder holder = byIdentity.get(cap.peer());
      int held = holder == null ? 0 : holder.sockets().size();
      if (held >= cap.limit()) {
        closedHere("identity " + cap.peer(), entry.remote, "closed after its TLS handshake: " + cap.peer() + " has "
            + held + " connections open already, its cap (" + (cap.notAParty() ? "no party of job " + jobId + ": "
            + IdentityCaps.NOT_A_PARTY + ")" : "--max-connections-per-identity)"));
        return false;
      }
      if (holder == null) {
        holder = new Holder(cap, new LinkedHashSet<>());
        byIdentity.put(cap.peer(), holder);
      }
      holder.sockets().add(socket);
      entry.identity = cap.peer();
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
    if (limits.perSource() > 0) {
      bySource.computeIfPresent(entry.source, (s, n) -> n <= 1 ? null : n - 1);
    }
    if (entry.identity != null) {
      Holder holder = byIdentity.get(entry.identity);
      if (holder != null && holder.sockets().remove(socket) && holder.sockets().isEmpty()) {
        byIdentity.remove(entry.identity);
      }
    }
  }

  private static void cancelDeadline(Entry entry) {
    if (entry.deadline != null) {
      entry.deadline.cancel(false);
      entry.deadline = null;
    }
  }

  /**
   * Closes a socket this gate no longer counts, from the head of its pipeline: straight to the
   * socket, past its handlers' own close (gRPC's waits up to 10 s for a GOAWAY's answer that an idle
   * flood never sends). One accepted a moment ago may not be registered with an event loop yet; it is
   * not touched then: closing it from here (closeForcibly) would never run its close listeners, and
   * whatever counted it would count it forever. Its listener's first handler closes it as it is
   * registered, asking {@link #holds} (Connections; the bulk-upload port admits registered sockets
   * only). A socket found unregistered here is registered later, and its handler asks after this gate
   * forgot it.
   */
  private static void closeNow(Channel socket) {
    if (!socket.isRegistered()) {
      return;
    }
    ChannelHandlerContext head = socket.pipeline().firstContext();
    if (head != null) {
      head.close();
    } else {
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
