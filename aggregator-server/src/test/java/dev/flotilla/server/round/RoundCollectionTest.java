package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.TensorSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RoundCollectionTest {

  private final RoundCollection collection = new RoundCollection(new Round(1, 2, Instant.EPOCH), null);

  @Test
  @DisplayName("a round is done when each participant submitted, was refused or is gone and has no upload in flight")
  void allDone() {
    collection.addParticipant("alice");
    collection.addParticipant("bob");
    Set<String> connected = Set.of("alice", "bob");
    assertThat(collection.allDone(connected::contains)).isFalse();
    collection.record("alice", new PartyOutcome.Submitted(10, Map.of()));
    assertThat(collection.allDone(connected::contains)).isFalse();
    assertThat(collection.allDone(Set.of("alice")::contains)).as("bob is gone").isTrue();
    Upload upload = new Upload("j", "bob", collection.round, 1, Map.of(),
        List.of(new TensorSpec("w", new long[] {1})), new RecordingSink());
    collection.startUpload(upload);
    assertThat(collection.allDone(Set.of("alice")::contains)).as("gone, but its upload is in flight").isFalse();
    collection.endUpload(upload);
    collection.record("bob", new PartyOutcome.Refused("too big"));
    assertThat(collection.allDone(connected::contains)).isTrue();
  }

  @Test
  @DisplayName("who did not contribute and why: refused with its reason, dropped when gone, late when still connected")
  void lateOrDropped() {
    for (String p : List.of("alice", "bob", "carol", "dave")) {
      collection.addParticipant(p);
    }
    collection.record("alice", new PartyOutcome.Submitted(10, Map.of("accuracy", 0.5)));
    collection.record("bob", new PartyOutcome.Refused("tensor 'w' element 0 is NaN"));
    assertThat(collection.lateOrDropped(Set.of("alice", "bob", "carol")::contains)).containsExactly(
        Map.entry("bob", "rejected: tensor 'w' element 0 is NaN"), Map.entry("carol", "late"),
        Map.entry("dave", "dropped"));
    assertThat(collection.submitted()).containsOnlyKeys("alice");
    assertThat(collection.submitted().get("alice").samples()).isEqualTo(10);
  }

  @Test
  @DisplayName("closing hands over the uploads in flight once; the first taint is kept with its party")
  void closeAndTaint() {
    Upload upload = new Upload("j", "bob", collection.round, 1, Map.of(),
        List.of(new TensorSpec("w", new long[] {1})), new RecordingSink());
    collection.startUpload(upload);
    assertThat(collection.close()).containsExactly(upload);
    assertThat(collection.isClosed()).isTrue();
    assertThat(collection.close()).isEmpty();
    collection.taint("bob", "first");
    collection.taint("carol", "second");
    assertThat(collection.taint()).isEqualTo("first");
    assertThat(collection.taintedBy()).isEqualTo("bob");
  }
}
