package dev.flotilla.server.transport;

import io.netty.channel.Channel;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The sockets of a port whose TLS handshake has not finished, grouped by {@link SourceGroup}, so
 * that the one to close for a newcomer is taken from the source holding the most: a flood from one
 * place (one address, or one IPv6 /64) closes its own sockets and never pushes out a handshake in
 * flight from another. Among sources holding as many, the oldest socket goes. Not thread-safe (its
 * gate holds the lock).
 */
final class PendingHandshakes {

  /** One source's pending sockets, oldest first, each with its arrival number. */
  private static final class Group {
    final String name;
    final LinkedHashMap<Channel, Long> sockets = new LinkedHashMap<>();

    Group(String name) {
      this.name = name;
    }

    long oldest() {
      return sockets.values().iterator().next();
    }
  }

  /** Most sockets first, then the oldest socket first; a group's place is updated whenever it changes. */
  private static final Comparator<Group> MOST_THEN_OLDEST = Comparator.<Group>comparingInt(g -> -g.sockets.size())
      .thenComparingLong(Group::oldest).thenComparing(g -> g.name);

  private final Map<Channel, Group> bySocket = new HashMap<>();
  private final Map<String, Group> groups = new HashMap<>();
  private final TreeSet<Group> ranked = new TreeSet<>(MOST_THEN_OLDEST);
  private long arrivals;

  void add(Channel socket, String source) {
    Group group = groups.computeIfAbsent(source, Group::new);
    ranked.remove(group);
    group.sockets.put(socket, arrivals++);
    ranked.add(group);
    bySocket.put(socket, group);
  }

  /** True when {@code socket} was pending (and is not any more). */
  boolean remove(Channel socket) {
    Group group = bySocket.remove(socket);
    if (group == null) {
      return false;
    }
    ranked.remove(group);
    group.sockets.remove(socket);
    if (group.sockets.isEmpty()) {
      groups.remove(group.name);
    } else {
      ranked.add(group);
    }
    return true;
  }

  boolean contains(Channel socket) {
    return bySocket.containsKey(socket);
  }

  int size() {
    return bySocket.size();
  }

  boolean isEmpty() {
    return bySocket.isEmpty();
  }

  /** Pending sockets of {@code source}. */
  int of(String source) {
    Group group = groups.get(source);
    return group == null ? 0 : group.sockets.size();
  }

  /** The socket to close for a newcomer: the oldest of the source holding the most; null when none is pending. */
  Channel toEvict() {
    return ranked.isEmpty() ? null : ranked.first().sockets.keySet().iterator().next();
  }
}
