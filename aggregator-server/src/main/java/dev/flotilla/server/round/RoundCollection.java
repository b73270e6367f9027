package dev.flotilla.server.round;

import dev.flotilla.server.aggregation.RoundAggregation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The collect phase of one round attempt: who was asked to train, the uploads in flight, how each
 * participant's part ended, and the aggregation the updates go into. Not thread-safe: the
 * coordinator's lock guards it (uploads feed the aggregation outside the lock, through their sinks).
 */
final class RoundCollection {

  final Round round;
  final RoundAggregation aggregation;
  private final Set<String> participants = new LinkedHashSet<>();
  private final Map<String, PartyOutcome> outcomes = new LinkedHashMap<>();
  private final Map<String, Upload> uploads = new HashMap<>();
  private boolean closed;
  /** Why this attempt cannot be aggregated (an update that could not be taken back), or null. */
  private String taint;
  private String taintedBy;
  /** The attempt's masked round under --secure-aggregation, else null (updates come by SubmitUpdate). */
  SecureRound secure;

  RoundCollection(Round round, RoundAggregation aggregation) {
    this.round = round;
    this.aggregation = aggregation;
  }

  void addParticipant(String party) {
    participants.add(party);
  }

  boolean isParticipant(String party) {
    return participants.contains(party);
  }

  Set<String> participants() {
    return participants;
  }

  boolean isClosed() {
    return closed;
  }

  PartyOutcome outcome(String party) {
    return outcomes.get(party);
  }

  boolean hasSubmitted(String party) {
    return outcomes.get(party) instanceof PartyOutcome.Submitted;
  }

  void record(String party, PartyOutcome outcome) {
    outcomes.put(party, outcome);
  }

  boolean isUploading(String party) {
    return uploads.containsKey(party);
  }

  void startUpload(Upload upload) {
    uploads.put(upload.party(), upload);
  }

  /** Forgets the upload if it is still the party's current one. */
  void endUpload(Upload upload) {
    uploads.remove(upload.party(), upload);
  }

  /** True when every participant submitted, was refused, or is gone (and has no upload in flight). */
  boolean allDone(Predicate<String> connected) {
    for (String name : participants) {
      if (uploads.containsKey(name)) {
        return false;
      }
      if (!outcomes.containsKey(name) && connected.test(name)) {
        return false;
      }
    }
    return true;
  }

  /**
   * True when declines leave fewer than {@code minParties} participants that may still send an update. (A party
   * that is gone may come back within its grace and resubmit; one that was refused is not counted out here
   * either, so closing early is the decliners' doing only.)
   */
  boolean declinesLeaveTooFew(int minParties) {
    int declined = 0;
    for (PartyOutcome o : outcomes.values()) {
      if (o instanceof PartyOutcome.Declined) {
        declined++;
      }
    }
    return declined > 0 && participants.size() - declined < minParties;
  }

  /** Closes collection: no upload may start or commit from now on; returns the uploads still in flight. */
  List<Upload> close() {
    closed = true;
    List<Upload> open = new ArrayList<>(uploads.values());
    uploads.clear();
    return open;
  }

  void taint(String party, String why) {
    if (taint == null) {
      taint = why;
      taintedBy = party;
    }
  }

  String taint() {
    return taint;
  }

  String taintedBy() {
    return taintedBy;
  }

  /** Committed updates in the order they were committed. */
  Map<String, PartyOutcome.Submitted> submitted() {
    Map<String, PartyOutcome.Submitted> out = new LinkedHashMap<>();
    outcomes.forEach((name, o) -> {
      if (o instanceof PartyOutcome.Submitted s) {
        out.put(name, s);
      }
    });
    return out;
  }

  /** Participants without a committed update, and why: refused, or else dropped (gone) or late. */
  Map<String, String> lateOrDropped(Predicate<String> connected) {
    Map<String, String> out = new TreeMap<>();
    for (String name : participants) {
      PartyOutcome o = outcomes.get(name);
      if (o == null) {
        o = connected.test(name) ? PartyOutcome.LATE : PartyOutcome.DROPPED;
      }
      if (!(o instanceof PartyOutcome.Submitted)) {
        out.put(name, o.describe());
      }
    }
    return out;
  }
}
