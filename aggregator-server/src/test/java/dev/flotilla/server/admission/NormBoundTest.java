package dev.flotilla.server.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class NormBoundTest {

  @Test
  @DisplayName("within the bound an update is folded as sent (scale 1); beyond it clip scales its difference to the bound")
  void clip() throws Exception {
    NormBound bound = new NormBound(2.0, NormBound.Action.CLIP);
    assertThat(bound.scale("a", 0)).isEqualTo(1.0);
    assertThat(bound.scale("a", 2.0)).isEqualTo(1.0);
    assertThat(bound.scale("a", 8.0)).isEqualTo(0.25);
    assertThat(bound.scale("a", Double.MAX_VALUE)).isEqualTo(2.0 / Double.MAX_VALUE);
  }

  @Test
  @DisplayName("refuse answers INVALID_ARGUMENT naming the party, its distance and the bound")
  void refuse() throws Exception {
    NormBound bound = new NormBound(1.5, NormBound.Action.REFUSE);
    assertThat(bound.scale("a", 1.5)).isEqualTo(1.0);
    assertThatThrownBy(() -> bound.scale("alice", 12.3456789)).isInstanceOfSatisfying(StatusException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription())
          .isEqualTo("update of party 'alice' is at L2 distance 12.3457 from the global model, beyond --max-update-norm 1.5");
    });
  }

  @Test
  @DisplayName("a distance that is not a finite number is refused whatever the action")
  void nonFinite() {
    for (NormBound.Action action : NormBound.Action.values()) {
      NormBound bound = new NormBound(1, action);
      for (double d : new double[] {Double.NaN, Double.POSITIVE_INFINITY, -1}) {
        assertThatThrownBy(() -> bound.scale("a", d)).isInstanceOf(StatusException.class)
            .hasMessageContaining("has no finite L2 distance");
      }
    }
  }

  @Test
  @DisplayName("the bound must be positive and finite; the action is clip or refuse")
  void flags() {
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> new NormBound(bad, NormBound.Action.CLIP))
          .hasMessageStartingWith("--max-update-norm must be a positive finite number");
    }
    assertThat(NormBound.Action.parse(" Refuse ")).isEqualTo(NormBound.Action.REFUSE);
    assertThatThrownBy(() -> NormBound.Action.parse("drop"))
        .hasMessage("--update-norm-action must be clip or refuse, got 'drop'");
  }
}
