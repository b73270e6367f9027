package dev.flotilla.party.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.peer.PeerAddresses;
import dev.flotilla.protocol.v1.PeerEntry;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PeerRosterTest {
  private static final Identity ALICE = Identity.party("example.org", "job1", "alice");

  private static PeerEntry entry(String party, String address, String name) {
    return PeerEntry.newBuilder().setName(party).setAddress(address).setServerName(name).build();
  }

  private static PeerEntry party(String name) {
    return entry(name, "10.0.0.1:50002", "job1." + name + ".party.example.org");
  }

  @Test
  @DisplayName("the parties of the round but this one, with their addresses and server names, and the check flag")
  void peersButSelf() {
    PeerRoster roster = PeerRoster.of(4, dev.flotilla.protocol.v1.PeerRoster.newBuilder()
        .addPeers(party("alice")).addPeers(party("bob")).addPeers(party("carol")).setCheckReachability(true).build(), ALICE);
    assertThat(roster.round()).isEqualTo(4);
    assertThat(roster.checkReachability()).isTrue();
    assertThat(roster.peers()).extracting(PeerRoster.Peer::toString).containsExactly(
        "bob at 10.0.0.1:50002 (job1.bob.party.example.org)", "carol at 10.0.0.1:50002 (job1.carol.party.example.org)");
  }

  @Test
  @DisplayName("a roster of more than 10000 peers is refused whole, before any entry is read")
  void tooManyPeers() {
    var builder = dev.flotilla.protocol.v1.PeerRoster.newBuilder();
    PeerEntry bad = entry("not a name", "", "");
    for (int i = 0; i <= PeerAddresses.MAX_ROSTER_PEERS; i++) {
      builder.addPeers(bad);
    }
    assertThatThrownBy(() -> PeerRoster.of(1, builder.build(), ALICE))
        .hasMessage("the roster of round 1 lists 10001 peers, more than 10000");
  }

  @Test
  @DisplayName("exactly 10000 peers are accepted")
  void boundInclusive() {
    var builder = dev.flotilla.protocol.v1.PeerRoster.newBuilder();
    for (int i = 0; i < PeerAddresses.MAX_ROSTER_PEERS; i++) {
      builder.addPeers(party("p" + i));
    }
    assertThat(PeerRoster.of(1, builder.build(), ALICE).peers()).hasSize(10000);
  }

  @Test
  @DisplayName("an entry whose name is no identity name (not a DNS label, too long) refuses the roster, naming the entry")
  void badNames() {
    assertThatThrownBy(() -> PeerRoster.of(2, dev.flotilla.protocol.v1.PeerRoster.newBuilder().addPeers(party("bob"))
        .addPeers(entry("Eve/../server", "10.0.0.9:1", "x.org")).build(), ALICE))
        .hasMessageStartingWith("roster entry 1 of round 2: invalid name 'Eve/../server'");
    assertThatThrownBy(() -> PeerRoster.of(2, dev.flotilla.protocol.v1.PeerRoster.newBuilder()
        .addPeers(entry("x".repeat(5000), "10.0.0.9:1", "x.org")).build(), ALICE))
        .hasMessageStartingWith("roster entry 0 of round 2: invalid name 'xxxx");
  }

  @Test
  @DisplayName("the peers are parties of this party's own trust domain and job, whatever the aggregator is")
  void identitiesAreOfOwnJob() {
    PeerRoster roster = PeerRoster.of(1, dev.flotilla.protocol.v1.PeerRoster.newBuilder().addPeers(party("bob")).build(), ALICE);
    assertThat(roster.peers().get(0).identity().uri()).isEqualTo("spiffe://example.org/job/job1/party/bob");
  }

  @Test
  @DisplayName("an entry whose address or server name is out of bounds refuses the roster, naming the peer")
  void badAddresses() {
    assertThatThrownBy(() -> PeerRoster.of(2, dev.flotilla.protocol.v1.PeerRoster.newBuilder()
        .addPeers(entry("bob", "h".repeat(300) + ":1", "x.org")).build(), ALICE))
        .hasMessage("roster entry 0 of round 2 (bob): the peer address is 302 characters long, more than 261");
    assertThatThrownBy(() -> PeerRoster.of(2, dev.flotilla.protocol.v1.PeerRoster.newBuilder()
        .addPeers(entry("bob", "10.0.0.1:1", "no_name")).build(), ALICE))
        .hasMessageContaining("(bob): the peer's TLS server name 'no_name' is not a DNS name");
  }
}
