package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.peer.PeerAddresses;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.PeerEntry;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.FakeParty;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerRosterRoundTest {

  @TempDir
  Path dir;

  private ServerConfig.Builder config() {
    return ServerConfig.builder().jobId("jobP").model("mlp").seed(3).rounds(1).minParties(3).expectedParties(3)
        .joinGrace(Duration.ofSeconds(5)).roundTimeout(Duration.ofSeconds(60))
        .finalEvaluationWait(Duration.ofSeconds(1)).stateDir(dir.resolve("state"));
  }

  private static JoinRequest announcing(String address, String serverName) {
    return JoinRequest.newBuilder().setNumSamples(10).setPeerAddress(address).setPeerServerName(serverName).build();
  }

  private static String describe(PeerEntry e) {
    return e.getName() + "@" + e.getAddress() + "/" + e.getServerName();
  }

  @Test
  @DisplayName("every participant's TrainRequest carries the roster of the participants that announced an endpoint, "
      + "with the job's check flag")
  void rosterOfParticipants() throws Exception {
    try (Federation f = new Federation(config().checkPeers(true).build())) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      FakeParty c = f.party("carol");
      a.connect(announcing("proxy.example.org:443", "jobp.alice.party.example.org"));
      b.connect(announcing("10.0.0.2:50002", "jobp.bob.party.example.org"));
      c.connect(10);
      for (FakeParty p : List.of(a, b, c)) {
        TrainRequest train = p.awaitTrain();
        assertThat(train.hasPeerRoster()).isTrue();
        assertThat(train.getPeerRoster().getCheckReachability()).isTrue();
        assertThat(train.getPeerRoster().getPeersList()).extracting(PeerRosterRoundTest::describe).containsExactly(
            "alice@proxy.example.org:443/jobp.alice.party.example.org", "bob@10.0.0.2:50002/jobp.bob.party.example.org");
      }
    }
  }

  @Test
  @DisplayName("without --check-peers the roster asks for no check; without any announced endpoint there is no roster")
  void noCheckNoRoster() throws Exception {
    try (Federation f = new Federation(config().build())) {
      FakeParty a = f.party("alice");
      a.connect(announcing("10.0.0.1:1", "jobp.alice.party.example.org"));
      f.party("bob").connect(10);
      f.party("carol").connect(10);
      assertThat(a.awaitTrain().getPeerRoster().getCheckReachability()).isFalse();
    }
    try (Federation f = new Federation(config().checkPeers(true).stateDir(dir.resolve("state2")).build())) {
      List<FakeParty> parties = new ArrayList<>();
      for (String name : List.of("alice", "bob", "carol")) {
        FakeParty p = f.party(name);
        p.connect(10);
        parties.add(p);
      }
      for (FakeParty p : parties) {
        assertThat(p.awaitTrain().hasPeerRoster()).isFalse();
      }
    }
  }

  @Test
  @DisplayName("a Join announcing an address out of bounds, or an address without a server name, is refused "
      + "(INVALID_ARGUMENT) and takes no slot")
  void badAnnouncementRefused() throws Exception {
    try (Federation f = new Federation(config().build())) {
      FakeParty a = f.party("alice");
      assertThatThrownBy(() -> a.connect(announcing("h".repeat(300) + ":1", "jobp.alice.party.example.org")))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).isEqualTo("Join's peer_address / peer_server_name: the peer "
                + "address is 302 characters long, more than 261; a party that serves a peer endpoint announces both");
          });
      assertThat(a.join(10).getPartyIndex()).as("the refused Join took no slot").isZero();
      assertThatThrownBy(() -> f.party("bob").connect(announcing("10.0.0.1:1", "")))
          .hasMessageContaining("the peer's TLS server name is empty");
    }
  }

  @Test
  @DisplayName("a roster lists at most 10000 peers, and a party that rejoins without an endpoint leaves it")
  void directoryBounds() {
    PeerDirectory directory = new PeerDirectory(true);
    List<String> names = new ArrayList<>();
    for (int i = 0; i <= PeerAddresses.MAX_ROSTER_PEERS; i++) {
      names.add("p" + i);
      directory.put("p" + i, new PeerDirectory.Published("10.0.0.1:1", "x.example.org"));
    }
    assertThat(directory.roster(names).getPeersCount()).isEqualTo(10000);
    directory.put("p0", null);
    assertThat(directory.roster(List.of("p0", "p1")).getPeersList()).extracting(PeerEntry::getName).containsExactly("p1");
    directory.forget("p1");
    assertThat(directory.roster(List.of("p0", "p1"))).isNull();
  }
}
