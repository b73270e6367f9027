package dev.flotilla.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
    return new ConnectionGate("job", "gRPC", new ConnectionGate.Limits(total, perSource, pending, HANDSHAKE, perIdentity));
  }

  /** Admits the socket and wires its close to the gate, as the listeners do. */
  private static boolean admit(ConnectionGate gate, EmbeddedChannel socket) {
    boolean admitted = gate.admit(socket, socket.eventLoop());
    if (admitted) {
      socket.closeFuture().addListener(f -> gate.closed(socket));
    }
    return admitted;
  }

  private static EmbeddedChannel handshaken(ConnectionGate gate, String ip, int port, String peer, int cap) {
    EmbeddedChannel s = socket(ip, port);
    assertThat(admit(gate, s)).isTrue();
    assertThat(gate.handshakeFinished(s, peer, cap)).isTrue();
    return s;
  }

  @Test
  @DisplayName("a socket beyond the total is refused when every open one is past its handshake; a closed one frees its place")
  void theTotalRefusesOnlyWhenNothingIsPending() {
    ConnectionGate gate = gate(2, 0, 10, 0);
    EmbeddedChannel a = handshaken(gate, "10.0.0.1", 1, "a", 4);
    handshaken(gate, "10.0.0.2", 1, "b", 4);
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
    handshaken(gate, "10.0.0.1", 1, "a", 4);
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
    assertThat(gate.handshakeFinished(party, "b", 4)).isTrue();
    assertThat(gate.handshakeFinished(oldest, "c", 4)).as("an evicted socket's late handshake").isFalse();
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
    assertThat(gate.handshakeFinished(party, "alice", 4)).isTrue();
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
    assertThat(gate.handshakeFinished(party, "alice", 4)).isTrue();
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
    assertThat(gate.handshakeFinished(party, "alice", 4)).isTrue();
    gate.closed(gone); // what its close listener does (EmbeddedChannel.close would cancel its loop's tasks itself)
    for (EmbeddedChannel s : List.of(party, gone)) {
      assertThat(s.runScheduledPendingTasks()).as("no deadline left on its event loop").isEqualTo(-1);
    }
  }

  @Test
  @DisplayName("an identity beyond its cap is refused after its handshake; others are not, and a closed one frees its place")
  void theCapPerIdentity() {
    ConnectionGate gate = gate(100, 0, 10, 2);
    EmbeddedChannel first = handshaken(gate, "10.0.0.1", 1, "spiffe://t/job/j/party/alice", 2);
    handshaken(gate, "10.0.0.1", 2, "spiffe://t/job/j/party/alice", 2);
    EmbeddedChannel third = socket("10.0.0.1", 3);
    assertThat(admit(gate, third)).isTrue();
    assertThat(gate.handshakeFinished(third, "spiffe://t/job/j/party/alice", 2)).isFalse();
    third.close();
    handshaken(gate, "10.0.0.1", 4, "spiffe://t/job/j/party/bob", 2);
    handshaken(gate, "10.0.0.1", 5, "spiffe://t/job/j/party/host/virtual/3", 6);
    first.close();
    handshaken(gate, "10.0.0.1", 6, "spiffe://t/job/j/party/alice", 2);
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
  void capsOutOfRangeAreRefused() {
    assertThatThrownBy(() -> gate(0, 0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> gate(1, -1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> gate(1, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> gate(1, 0, 1, -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ConnectionGate.Limits(1, 0, 1, Duration.ZERO, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
