package dev.flotilla.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.junit.jupiter.api.Test;

class ConnectionGateTest {

  private static SocketAddress from(String ip, int port) {
    return new InetSocketAddress(ip, port);
  }

  @Test
  void theTotalCapCountsEverySourceAndFreesOnRelease() {
    ConnectionGate gate = new ConnectionGate("job", "gRPC", 2, 0);
    assertThat(gate.admit(from("10.0.0.1", 1))).isTrue();
    assertThat(gate.admit(from("10.0.0.2", 1))).isTrue();
    assertThat(gate.admit(from("10.0.0.3", 1))).isFalse();
    assertThat(gate.open()).isEqualTo(2);
    assertThat(gate.refused()).isEqualTo(1);
    gate.release(from("10.0.0.1", 1));
    assertThat(gate.admit(from("10.0.0.3", 1))).isTrue();
    assertThat(gate.open()).isEqualTo(2);
  }

  @Test
  void theCapPerSourceLeavesOtherSourcesTheirShare() {
    ConnectionGate gate = new ConnectionGate("job", "gRPC", 10, 2);
    assertThat(gate.admit(from("10.0.0.1", 1))).isTrue();
    assertThat(gate.admit(from("10.0.0.1", 2))).isTrue();
    assertThat(gate.admit(from("10.0.0.1", 3))).as("a third from one address").isFalse();
    assertThat(gate.open()).as("the refused one is counted nowhere").isEqualTo(2);
    assertThat(gate.admit(from("10.0.0.2", 1))).isTrue();
    gate.release(from("10.0.0.1", 1));
    assertThat(gate.admit(from("10.0.0.1", 4))).as("after one of its own closed").isTrue();
    assertThat(gate.open()).isEqualTo(3);
  }

  @Test
  void aRefusalByTheTotalCapDoesNotTakeTheSourcesShare() {
    ConnectionGate gate = new ConnectionGate("job", "bulk-upload", 1, 1);
    assertThat(gate.admit(from("10.0.0.1", 1))).isTrue();
    assertThat(gate.admit(from("10.0.0.2", 1))).isFalse();
    gate.release(from("10.0.0.1", 1));
    assertThat(gate.admit(from("10.0.0.2", 2))).isTrue();
  }

  @Test
  void manyRefusalsAreCountedAndTheCountsStayExact() {
    ConnectionGate gate = new ConnectionGate("job", "gRPC", 3, 0);
    for (int i = 0; i < 3; i++) {
      assertThat(gate.admit(from("10.0.0.1", i))).isTrue();
    }
    for (int i = 0; i < 1000; i++) {
      assertThat(gate.admit(from("10.0.0.9", i))).isFalse();
    }
    assertThat(gate.refused()).isEqualTo(1000);
    assertThat(gate.open()).isEqualTo(3);
  }

  @Test
  void capsOutOfRangeAreRefused() {
    assertThatThrownBy(() -> new ConnectionGate("job", "gRPC", 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ConnectionGate("job", "gRPC", 1, -1)).isInstanceOf(IllegalArgumentException.class);
  }
}
