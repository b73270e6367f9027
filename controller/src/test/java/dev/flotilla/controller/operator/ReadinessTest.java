package dev.flotilla.controller.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("/readyz: API connectivity and leadership")
class ReadinessTest {

  private static final Optional<String> DOWN = Optional.of("cannot reach the API server at https://10.0.0.1:6443/: "
      + "ConnectException: Connection refused");

  @Test
  @DisplayName("an unreachable API server makes every replica not ready, leader or standby, and says why")
  void apiDown() {
    for (boolean leading : new boolean[] {true, false}) {
      Readiness r = Readiness.of(DOWN, true, leading, true);
      assertThat(r.ready()).isFalse();
      assertThat(r.text()).isEqualTo("not ready: " + DOWN.get());
    }
    assertThat(Readiness.of(DOWN, false, true, true).ready()).isFalse();
  }

  @Test
  @DisplayName("the leader is ready once its informers synced; a standby is ready and says it stands by")
  void leadership() {
    Readiness leaderSyncing = Readiness.of(Optional.empty(), true, true, false);
    assertThat(leaderSyncing.ready()).isFalse();
    assertThat(leaderSyncing.text()).isEqualTo("not ready: leader; informers not synced yet");
    Readiness leader = Readiness.of(Optional.empty(), true, true, true);
    assertThat(leader.ready()).isTrue();
    assertThat(leader.text()).isEqualTo("ready: leader; API server reachable; informers synced");
    Readiness standby = Readiness.of(Optional.empty(), true, false, false);
    assertThat(standby.ready()).isTrue();
    assertThat(standby.text()).startsWith("ready: standby");
    Readiness single = Readiness.of(Optional.empty(), false, true, true);
    assertThat(single.ready()).isTrue();
    assertThat(single.text()).startsWith("ready: reconciling (no leader election)");
  }
}
