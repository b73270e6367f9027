package dev.flotilla.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ConnectionGateTest {

  private static final Duration HANDSHAKE = Duration.ofSeconds(5);

  /** A socket from {@code ip}, on its own event loop whose clock stands still unless the test moves it. */
  private static EmbeddedChannel socket(String ip, int port) {
    SocketAddress remote = new InetSocketAddress(ip, port);
    EmbeddedChannel socket = new EmbeddedChannel() {
      @Override
      protected SocketAddress remoteAddress0() {
        return remote;
      }
    };
    socket.freezeTime();
    return socket;
  }

  private static ConnectionGate gate(int total, int perSource, int pending, int perIdentity) {
    return new ConnectionGate("job", "gRPC",
        new ConnectionGate.Limits(total, perSource, pending, HANDSHAKE, perIdentity, 100_000));
  }

  /** The cap of a party of the job standing for {@code parties} parties (1, or a host's virtual parties). */
  private static IdentityCaps.Cap party(String peer, int cap, int parties) {
    return new IdentityCaps.Cap(peer, cap, parties);
  }

  private static IdentityCaps.Cap party(String peer, int cap) {
    return party(peer, cap, 1);
  }

  /** The cap of an identity that is no party of the job (another job's party, a controller...). */
  private static IdentityCaps.Cap notAParty(String peer) {
    return new IdentityCaps.Cap(peer, IdentityCaps.NOT_A_PARTY, 0);
  }

  /** Admits the socket and wires its close to the gate, as the listeners do. */
  private static boolean admit(ConnectionGate gate, EmbeddedChannel socket) {
    boolean admitted = gate.admit(socket, socket.eventLoop());
    if (admitted) {
      socket.closeFuture().addListener(f -> gate.closed(socket));
    }
    return admitted;
  }

  private static EmbeddedChannel handshaken(ConnectionGate gate, String ip, int port, IdentityCaps.Cap cap) {
    EmbeddedChannel s = socket(ip, port);
    assertThat(admit(gate, s)).isTrue();
    assertThat(gate.handshakeFinished(s, cap)).isTrue();
    return s;
  }

  @Test
  @DisplayName("a socket beyond the total is refused when every open one is past its handshake and no identity holds "
      + "more than one per party it stands for; a closed one frees its place")
  void theTotalRefusesOnlyWhenNothingIsPending() {
    ConnectionGate gate = gate(2, 0, 10, 0);
    EmbeddedChannel a = handshaken(gate, "10.0.0.1", 1, party("a", 4));
    handshaken(gate, "10.0.0.2", 1, party("b", 4));
    assertThat(admit(gate, socket("10.0.0.3", 1))).isFalse();
    assertThat(gate.open()).isEqualTo(2);
    assertThat(gate.refused()).isEqualTo(1);
    a.close();
    assertThat(admit(gate, socket("10.0.0.3", 1))).isTrue();
    assertThat(gate.open()).isEqualTo(2);
  }

  @Test
  @DisplayName("a socket beyond the total closes the oldest unfinished handshake instead of being refused")
  void theTotalEvictsTheOldestPending() {
    ConnectionGate gate = gate(3, 0, 10, 0);
    handshaken(gate, "10.0.0.1", 1, party("a", 4));
    EmbeddedChannel oldest = socket("10.0.0.9", 1);
    EmbeddedChannel younger = socket("10.0.0.9", 2);
    assertThat(admit(gate, oldest)).isTrue();
    assertThat(admit(gate, younger)).isTrue();
    EmbeddedChannel party = socket("10.0.0.2", 1);
    assertThat(admit(gate, party)).isTrue();
    assertThat(oldest.isOpen()).isFalse();
    assertThat(younger.isOpen()).isTrue();
    assertThat(gate.open()).isEqualTo(3);
    assertThat(gate.pending()).isEqualTo(2);
    assertThat(gate.handshakeFinished(party, party("b", 4))).isTrue();
    assertThat(gate.handshakeFinished(oldest, party("c", 4))).as("an evicted socket's late handshake").isFalse();
  }

  @Test
  @DisplayName("a flood of sockets that never handshake keeps at most the pending bound, and a new socket always gets in")
  void aFloodOfPendingSocketsCannotKeepANewOneOut() {
    ConnectionGate gate = gate(100, 0, 8, 0);
    List<EmbeddedChannel> flood = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      EmbeddedChannel s = socket("10.0.0.66", i);
      assertThat(admit(gate, s)).isTrue();
      flood.add(s);
    }
    assertThat(gate.pending()).isEqualTo(8);
    assertThat(gate.open()).isEqualTo(8);
    assertThat(flood.stream().filter(EmbeddedChannel::isOpen)).hasSize(8);
    assertThat(gate.refused()).isEqualTo(992);
    EmbeddedChannel party = socket("10.0.0.2", 1);
    assertThat(admit(gate, party)).isTrue();
    assertThat(gate.handshakeFinished(party, party("alice", 4))).isTrue();
    assertThat(gate.pending()).as("one more of the flood made room for the party").isEqualTo(7);
    assertThat(gate.open()).isEqualTo(8);
  }

  @Test
  @DisplayName("a handshake unfinished at its deadline is closed; a finished one stays")
  void theHandshakeDeadlineClosesOnlyUnfinishedOnes() {
    ConnectionGate gate = gate(10, 0, 10, 0);
    EmbeddedChannel silent = socket("10.0.0.1", 1);
    EmbeddedChannel party = socket("10.0.0.2", 1);
    assertThat(admit(gate, silent)).isTrue();
    assertThat(admit(gate, party)).isTrue();
    assertThat(gate.handshakeFinished(party, party("alice", 4))).isTrue();
    for (EmbeddedChannel s : List.of(silent, party)) {
      s.advanceTimeBy(HANDSHAKE.toMillis() - 1, TimeUnit.MILLISECONDS);
      s.runScheduledPendingTasks();
    }
    assertThat(silent.isOpen()).as("before its deadline").isTrue();
    for (EmbeddedChannel s : List.of(silent, party)) {
      s.advanceTimeBy(1, TimeUnit.MILLISECONDS);
      s.runScheduledPendingTasks();
    }
    assertThat(silent.isOpen()).isFalse();
    assertThat(party.isOpen()).isTrue();
    assertThat(gate.open()).isEqualTo(1);
    assertThat(gate.pending()).isZero();
  }

  @Test
  @DisplayName("a socket's handshake deadline is cancelled once its handshake finishes or it closes: a flood's timer tasks hold no sockets")
  void deadlinesAreCancelled() {
    ConnectionGate gate = gate(10, 0, 10, 0);
    EmbeddedChannel party = socket("10.0.0.2", 1);
    EmbeddedChannel gone = socket("10.0.0.3", 1);
    assertThat(admit(gate, party)).isTrue();
    assertThat(admit(gate, gone)).isTrue();
    assertThat(party.runScheduledPendingTasks()).as("its deadline is scheduled").isPositive();
    assertThat(gate.handshakeFinished(party, party("alice", 4))).isTrue();
    gate.closed(gone); // what its close listener does (EmbeddedChannel.close would cancel its loop's tasks itself)
    for (EmbeddedChannel s : List.of(party, gone)) {
      assertThat(s.runScheduledPendingTasks()).as("no deadline left on its event loop").isEqualTo(-1);
    }
  }

  @Test
  @DisplayName("an identity beyond its cap is refused after its handshake; others are not, and a closed one frees its place")
  void theCapPerIdentity() {
    ConnectionGate gate = gate(100, 0, 10, 2);
    EmbeddedChannel first = handshaken(gate, "10.0.0.1", 1, party("spiffe://t/job/j/party/alice", 2));
    handshaken(gate, "10.0.0.1", 2, party("spiffe://t/job/j/party/alice", 2));
    EmbeddedChannel third = socket("10.0.0.1", 3);
    assertThat(admit(gate, third)).isTrue();
    assertThat(gate.handshakeFinished(third, party("spiffe://t/job/j/party/alice", 2))).isFalse();
    third.close();
    handshaken(gate, "10.0.0.1", 4, party("spiffe://t/job/j/party/bob", 2));
    handshaken(gate, "10.0.0.1", 5, party("spiffe://t/job/j/party/host/virtual/3", 6, 3));
    first.close();
    handshaken(gate, "10.0.0.1", 6, party("spiffe://t/job/j/party/alice", 2));
    assertThat(gate.open()).isEqualTo(4);
    assertThat(gate.refused()).isEqualTo(1);
  }

  @Test
  @DisplayName("the cap per source leaves other sources their share, and a refused socket is counted nowhere")
  void theCapPerSourceLeavesOtherSourcesTheirShare() {
    ConnectionGate gate = gate(10, 2, 10, 0);
    EmbeddedChannel first = socket("10.0.0.1", 1);
    assertThat(admit(gate, first)).isTrue();
    assertThat(admit(gate, socket("10.0.0.1", 2))).isTrue();
    assertThat(admit(gate, socket("10.0.0.1", 3))).as("a third from one address").isFalse();
    assertThat(gate.open()).isEqualTo(2);
    assertThat(admit(gate, socket("10.0.0.2", 1))).isTrue();
    first.close();
    assertThat(admit(gate, socket("10.0.0.1", 4))).as("after one of its own closed").isTrue();
    assertThat(gate.open()).isEqualTo(3);
  }

  @Test
  @DisplayName("a flood of silent sockets from one source closes its own unfinished handshakes, never an older one in "
      + "flight from another source")
  void aFloodFromOneSourceEvictsOnlyItsOwn() {
    ConnectionGate gate = gate(100, 0, 8, 0);
    EmbeddedChannel party = socket("10.0.0.2", 1); // its handshake in flight, older than the whole flood
    assertThat(admit(gate, party)).isTrue();
    for (int i = 0; i < 1000; i++) {
      assertThat(admit(gate, socket("10.0.0.66", i))).isTrue();
    }
    assertThat(party.isOpen()).as("the party's unfinished handshake, from another source").isTrue();
    assertThat(gate.pending()).isEqualTo(8);
    assertThat(gate.handshakeFinished(party, party("alice", 4))).isTrue();
  }

  @Test
  @DisplayName("a flood from an IPv6 /64 is one source: spread over its addresses it still closes only its own")
  void anIpv6SlashSixtyFourIsOneSource() {
    ConnectionGate gate = gate(100, 0, 4, 0);
    EmbeddedChannel party = socket("2001:db8:0:2::1", 1);
    assertThat(admit(gate, party)).isTrue();
    for (int i = 0; i < 100; i++) {
      assertThat(admit(gate, socket("2001:db8:0:66::" + Integer.toHexString(i + 1), 1))).isTrue();
    }
    assertThat(party.isOpen()).isTrue();
    assertThat(gate.pending()).isEqualTo(4);
  }

  @Test
  @DisplayName("among sources holding as many unfinished handshakes, the oldest socket is closed")
  void amongEqualSourcesTheOldestGoes() {
    ConnectionGate gate = gate(100, 0, 4, 0);
    EmbeddedChannel a1 = socket("10.0.0.1", 1);
    EmbeddedChannel b1 = socket("10.0.0.2", 1);
    EmbeddedChannel a2 = socket("10.0.0.1", 2);
    EmbeddedChannel b2 = socket("10.0.0.2", 2);
    for (EmbeddedChannel s : List.of(a1, b1, a2, b2)) {
      assertThat(admit(gate, s)).isTrue();
    }
    assertThat(admit(gate, socket("10.0.0.3", 1))).isTrue();
    assertThat(a1.isOpen()).as("the oldest of the two sources holding 2").isFalse();
    assertThat(admit(gate, socket("10.0.0.4", 1))).isTrue();
    assertThat(b1.isOpen()).as("then 10.0.0.2 holds the most").isFalse();
    assertThat(a2.isOpen() && b2.isOpen()).isTrue();
  }

  @Test
  @DisplayName("one source opens at most --max-handshakes-per-source new sockets a second; the next is refused unread, "
      + "other sources are not, and the rate refills with time")
  void newSocketsPerSourceAndSecond() {
    AtomicLong nanos = new AtomicLong();
    ConnectionGate gate = new ConnectionGate("job", "gRPC",
        new ConnectionGate.Limits(100, 0, 100, HANDSHAKE, 0, 3), nanos::get);
    for (int i = 0; i < 3; i++) {
      assertThat(admit(gate, socket("10.0.0.66", i))).isTrue();
    }
    assertThat(admit(gate, socket("10.0.0.66", 3))).as("a 4th within the second").isFalse();
    assertThat(gate.open()).isEqualTo(3);
    assertThat(admit(gate, socket("10.0.0.2", 1))).as("another source").isTrue();
    nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(340)); // a third of a second: one more
    assertThat(admit(gate, socket("10.0.0.66", 4))).isTrue();
    assertThat(admit(gate, socket("10.0.0.66", 5))).isFalse();
    assertThat(gate.refused()).isEqualTo(2);
  }

  @Test
  @DisplayName("with every socket open past its handshake, a new one closes the oldest socket of an identity that is no "
      + "party of the job, then of the one holding the most per party it stands for; a party's only one never")
  void theTotalEvictsTheIdentityHoldingTheMost() {
    ConnectionGate gate = gate(6, 0, 10, 8);
    EmbeddedChannel alice = handshaken(gate, "10.0.0.1", 1, party("alice", 8));
    EmbeddedChannel bob1 = handshaken(gate, "10.0.0.2", 1, party("bob", 8));
    EmbeddedChannel bob2 = handshaken(gate, "10.0.0.2", 2, party("bob", 8));
    EmbeddedChannel host = handshaken(gate, "10.0.0.3", 1, party("host/virtual/3", 24, 3));
    EmbeddedChannel other1 = handshaken(gate, "10.0.0.9", 1, notAParty("other-job/alice"));
    EmbeddedChannel other2 = handshaken(gate, "10.0.0.9", 2, notAParty("other-job/alice"));

    EmbeddedChannel first = socket("10.0.0.4", 1);
    assertThat(admit(gate, first)).isTrue();
    assertThat(other1.isOpen()).as("the other job's oldest").isFalse();
    assertThat(gate.handshakeFinished(first, party("carol", 8))).isTrue();
    EmbeddedChannel second = socket("10.0.0.4", 2);
    assertThat(admit(gate, second)).isTrue();
    assertThat(other2.isOpen()).as("the other job's last").isFalse();
    assertThat(gate.handshakeFinished(second, party("dave", 8))).isTrue();
    EmbeddedChannel third = socket("10.0.0.4", 3);
    assertThat(admit(gate, third)).isTrue();
    assertThat(bob1.isOpen()).as("bob's older one: two connections for one party").isFalse();
    assertThat(gate.handshakeFinished(third, party("erin", 8))).isTrue();
    assertThat(admit(gate, socket("10.0.0.4", 4))).as("nobody holds more than one per party").isFalse();
    assertThat(List.of(alice, bob2, host)).allMatch(EmbeddedChannel::isOpen);
    assertThat(gate.open()).isEqualTo(6);
  }

  @Test
  @DisplayName("an identity that is no party of the job is refused beyond its small cap after its handshake")
  void notAPartyIsCappedSmall() {
    ConnectionGate gate = gate(100, 0, 10, 8);
    for (int i = 0; i < IdentityCaps.NOT_A_PARTY; i++) {
      handshaken(gate, "10.0.0.9", i, notAParty("other-job/alice"));
    }
    EmbeddedChannel more = socket("10.0.0.9", 99);
    assertThat(admit(gate, more)).isTrue();
    assertThat(gate.handshakeFinished(more, notAParty("other-job/alice"))).isFalse();
  }

  @Test
  @DisplayName("a socket the gate closes is closed at the socket, past its handlers' own close (gRPC's waits for a "
      + "GOAWAY's answer an idle flood never sends)")
  void closesPastTheHandlersOwnClose() {
    ConnectionGate gate = gate(1, 0, 10, 8);
    EmbeddedChannel idle = socket("10.0.0.9", 1);
    idle.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
      @Override
      public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        // like a graceful shutdown that waits for the peer: the socket stays open
      }
    });
    assertThat(admit(gate, idle)).isTrue();
    assertThat(gate.handshakeFinished(idle, notAParty("other-job/alice"))).isTrue();
    idle.close();
    assertThat(idle.isOpen()).as("its own close does nothing").isTrue();
    assertThat(admit(gate, socket("10.0.0.2", 1))).isTrue();
    assertThat(idle.isOpen()).as("closed for the newcomer").isFalse();
  }

  @Test
  void capsOutOfRangeAreRefused() {
    assertThatThrownBy(() -> gate(0, 0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> gate(1, -1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> gate(1, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> gate(1, 0, 1, -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ConnectionGate.Limits(1, 0, 1, Duration.ZERO, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ConnectionGate.Limits(1, 0, 1, HANDSHAKE, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
