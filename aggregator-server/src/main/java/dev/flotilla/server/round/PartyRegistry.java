package dev.flotilla.server.round;

import dev.flotilla.server.admission.AllowList;
import io.grpc.Status;
import io.grpc.StatusException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's party registry: its slots: who holds one, how many there are (the allow-list's size, or
 * --expected-parties under open enrollment), and when one is given back: a party that has had no
 * live Rounds stream for longer than --reconnect-grace, or that the allow-list no longer names,
 * loses its slot (and may join again while a slot is free). A new party gets the lowest free
 * index. Not thread-safe: the coordinator's lock guards it.
 */
final class PartyRegistry {

  private static final Logger log = LoggerFactory.getLogger(PartyRegistry.class);

  private final String jobId;
  private final int expectedParties;
  private final AllowList allowList;
  private final Duration reconnectGrace;
  private final Clock clock;
  private final Map<String, Party> parties = new LinkedHashMap<>();

  PartyRegistry(String jobId, int expectedParties, AllowList allowList, Duration reconnectGrace, Clock clock) {
    this.jobId = jobId;
    this.expectedParties = expectedParties;
    this.allowList = allowList;
    this.reconnectGrace = reconnectGrace;
    this.clock = clock;
  }

  AllowList allowList() {
    return allowList;
  }

  Party get(String name) {
    return parties.get(name);
  }

  boolean holds(String name) {
    return parties.containsKey(name);
  }

  Collection<Party> all() {
    return parties.values();
  }

  Set<String> names() {
    return parties.keySet();
  }

  int size() {
    return parties.size();
  }

  /** Parties with a live Rounds stream. */
  int connectedCount() {
    return (int) parties.values().stream().filter(Party::connected).count();
  }

  /** Names of the parties with a live Rounds stream, in order of joining. */
  List<String> connectedNames() {
    return parties.values().stream().filter(Party::connected).map(p -> p.name).toList();
  }

  /** Whether the party holds a slot and has a live Rounds stream. */
  boolean isConnected(String name) {
    Party p = parties.get(name);
    return p != null && p.connected();
  }

  /** How many parties may hold a slot at once. */
  int capacity() {
    return allowList.isOpen() ? expectedParties : allowList.names().size();
  }

  boolean isFull() {
    return parties.size() >= capacity();
  }

  /** @throws StatusException PERMISSION_DENIED when the allow-list does not name the party */
  void requireAllowed(String name) throws StatusException {
    if (!allowList.allows(name)) {
      throw Status.PERMISSION_DENIED.withDescription("party '" + name + "' is not allowed in job " + jobId
          + " (not on its " + allowList.source() + " list)").asException();
    }
  }

  /** @throws StatusException RESOURCE_EXHAUSTED when every slot is taken */
  void requireFreeSlot() throws StatusException {
    if (isFull()) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("job " + jobId + " is full: " + parties.size()
          + " parties have joined " + parties.keySet() + " and it expects " + capacity()).asException();
    }
  }

  /** Gives a free slot (the lowest free index) to a party; the caller checked the allow-list and capacity. */
  Party take(String name, long numSamples) {
    BitSet used = new BitSet();
    parties.values().forEach(p -> used.set(p.index));
    Party party = new Party(name, used.nextClearBit(0), numSamples, clock.instant());
    parties.put(name, party);
    return party;
  }

  /** A party known from the checkpoint: it holds its slot, gone since now (so it has the whole grace to come back). */
  void restore(String name, int index, long numSamples) {
    parties.put(name, new Party(name, index, numSamples, clock.instant()));
  }

  /**
   * Takes the slots of parties the allow-list no longer names and of parties gone longer than the
   * reconnect grace (except those {@code busy} says must stay, e.g. with an upload in flight);
   * returns them, their links still set (the caller ends those).
   */
  List<Party> releaseExpired(Predicate<Party> busy) {
    Instant now = clock.instant();
    List<Party> released = new ArrayList<>();
    for (Party p : List.copyOf(parties.values())) {
      if (!allowList.allows(p.name)) {
        log.warn("job {}: party {} lost its slot (index {}): it is no longer on the allow-list ({})", jobId, p.name,
            p.index, allowList.source());
      } else if (!p.connected() && p.goneSince != null && !busy.test(p)
          && Duration.between(p.goneSince, now).compareTo(reconnectGrace) > 0) {
        log.warn("job {}: party {} lost its slot (index {}): gone since {}, longer than --reconnect-grace {}", jobId,
            p.name, p.index, p.goneSince, reconnectGrace);
      } else {
        continue;
      }
      parties.remove(p.name);
      released.add(p);
    }
    return released;
  }
}
