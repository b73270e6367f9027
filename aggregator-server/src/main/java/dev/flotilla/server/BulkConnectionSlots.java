package dev.flotilla.server;

import io.netty.channel.Channel;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One live bulk-upload connection per party identity, beside the port's global cap: a party needs
 * one (uploads are one at a time, and the connection is kept between rounds), so a party that opens
 * more cannot hold the slots of the others. A party's newer connection replaces its older one while
 * that one is idle between uploads (kept from an earlier round, or half-dead after a network change:
 * the older is closed); while the older carries an upload, the newer is refused.
 */
final class BulkConnectionSlots {

  private enum State { IDLE, UPLOADING, EVICTED }

  /** A party's connection in its slot. */
  static final class Slot {
    private final Channel channel;
    private final AtomicReference<State> state = new AtomicReference<>(State.IDLE);

    private Slot(Channel channel) {
      this.channel = channel;
    }

    /** An upload starts on this connection; false when a newer connection of the party replaced it. */
    boolean beginUpload() {
      return state.compareAndSet(State.IDLE, State.UPLOADING);
    }

    /** The upload ended and the connection stays for the next: a newer connection may replace it now. */
    void endUpload() {
      state.compareAndSet(State.UPLOADING, State.IDLE);
    }

    private boolean replaceable() {
      return !channel.isActive() || state.get() == State.EVICTED || state.compareAndSet(State.IDLE, State.EVICTED);
    }
  }

  private final ConcurrentHashMap<String, Slot> byParty = new ConcurrentHashMap<>();

  /**
   * Gives {@code party}'s slot to {@code channel}, closing the party's older connection if it is
   * idle; returns null (and changes nothing) when the older one carries an upload.
   */
  Slot claim(String party, Channel channel) {
    Slot fresh = new Slot(channel);
    Slot[] replaced = {null};
    Slot holder = byParty.compute(party, (name, older) -> {
      if (older == null) {
        return fresh;
      }
      if (older.replaceable()) {
        replaced[0] = older;
        return fresh;
      }
      return older;
    });
    if (replaced[0] != null) {
      replaced[0].channel.close();
    }
    return holder == fresh ? fresh : null;
  }

  /** The connection of {@code slot} closed: the party's slot is free unless a newer connection holds it. */
  void release(String party, Slot slot) {
    byParty.remove(party, slot);
  }

  /** Parties holding a slot. */
  int size() {
    return byParty.size();
  }
}
