package dev.flotilla.server.round;

import java.time.Instant;

/** A party holding a slot in the job. Guarded by the coordinator's lock. */
final class Party {

  final String name;
  final int index;
  /** The count announced at its last Join: the most an update of it may claim. */
  long numSamples;
  /** It announced the bulk-upload capability at its last Join. */
  boolean bulkUpload;
  /** Its live Rounds stream, or null while it is gone. */
  PartyLink link;
  /** Since when it has had no live Rounds stream (join, disconnect or server start); null while connected. */
  Instant goneSince;

  Party(String name, int index, long numSamples, Instant goneSince) {
    this.name = name;
    this.index = index;
    this.numSamples = numSamples;
    this.goneSince = goneSince;
  }

  boolean connected() {
    return link != null;
  }

  /** Takes the link away (the caller ends it): the party counts as gone from now on. */
  PartyLink unlink(Instant now) {
    PartyLink old = link;
    link = null;
    goneSince = now;
    return old;
  }
}
