package dev.flotilla.server.round;

import dev.flotilla.testing.ManualClock;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.server.admission.AllowList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartyRegistryTest {

  @TempDir
  Path dir;

  /** A clock the test moves. */

  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

  @Test
  @DisplayName("open enrollment has --expected-parties slots; a party gone longer than the grace loses its slot, one "
      + "with a live stream or marked busy keeps it; a newcomer gets the lowest free index")
  void releaseAfterGrace() {
    PartyRegistry slots = new PartyRegistry("j", 2, AllowList.of("j", List.of()), Duration.ofMinutes(10), clock);
    Party alice = slots.take("alice", 10);
    Party bob = slots.take("bob", 10);
    assertThat(List.of(alice.index, bob.index)).containsExactly(0, 1);
    assertThat(slots.isFull()).isTrue();

    bob.link = new FakeLink();
    bob.goneSince = null; // connected: a live stream clears goneSince
    clock.advance(Duration.ofMinutes(10));
    assertThat(slots.releaseExpired(p -> false)).as("exactly the grace is not longer than it").isEmpty();
    clock.advance(Duration.ofMillis(1));
    assertThat(slots.releaseExpired(p -> p.name.equals("alice"))).as("busy").isEmpty();
    assertThat(slots.releaseExpired(p -> false)).extracting(p -> p.name).containsExactly("alice");
    assertThat(slots.names()).containsExactly("bob");
    assertThat(slots.isFull()).isFalse();
    assertThat(slots.take("carol", 5).index).isZero();
  }

  @Test
  @DisplayName("with an allow-list the slots are its names; a party the list no longer names loses its slot at once")
  void allowList() throws Exception {
    Path file = Files.writeString(dir.resolve("allow"), "alice\nbob\ncarol\n");
    AllowList list = new AllowList("j", List.of(), file);
    PartyRegistry slots = new PartyRegistry("j", 1, list, Duration.ofHours(1), clock);
    assertThat(slots.capacity()).isEqualTo(3);
    slots.take("alice", 1);
    slots.take("bob", 1);
    Path next = Files.writeString(dir.resolve("next"), "alice\ncarol\n");
    Files.move(next, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(list.refresh()).isTrue();
    assertThat(slots.releaseExpired(p -> true)).extracting(p -> p.name).containsExactly("bob");
    assertThat(slots.capacity()).isEqualTo(2);
  }

  @Test
  @DisplayName("parties restored from a checkpoint keep their index and get the whole grace from the restart")
  void restore() {
    PartyRegistry slots = new PartyRegistry("j", 3, AllowList.of("j", List.of()), Duration.ofMinutes(1), clock);
    slots.restore("bob", 1, 7);
    assertThat(slots.take("alice", 1).index).isZero();
    assertThat(slots.take("carol", 1).index).isEqualTo(2);
    clock.advance(Duration.ofSeconds(61));
    assertThat(slots.releaseExpired(p -> false)).extracting(p -> p.name).containsExactlyInAnyOrder("alice", "bob", "carol");
  }
}
