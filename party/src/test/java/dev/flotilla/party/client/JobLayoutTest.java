package dev.flotilla.party.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.JoinResponse;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class JobLayoutTest {

  private static JoinResponse announcing(TensorSpec... specs) {
    JoinResponse.Builder join = JoinResponse.newBuilder().setJobId("j").setModel("");
    for (TensorSpec spec : specs) {
      join.addTensors(spec.toInfo());
    }
    return join.build();
  }

  @Test
  @DisplayName("a layout beyond the party's heap is refused with the sizes, before anything is allocated")
  void refusesLayoutBeyondTheHeap() {
    JoinResponse join = announcing(new TensorSpec("a", new long[] {1 << 20}), new TensorSpec("b", new long[] {1 << 20}));
    assertThatThrownBy(() -> JobLayout.of(join, 4L << 20))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the server's layout has 2 tensors of 2097152 values (8 MiB as float32), more than this party's "
            + "heap of 4 MiB holds (raise -Xmx if the job really is that large)");
    assertThat(JobLayout.of(join, 8L << 20)).hasSize(2);
  }

  @Test
  @DisplayName("a layout naming a tensor twice is refused (it could not be written as a model file)")
  void refusesRepeatedNames() {
    JoinResponse join = announcing(new TensorSpec("w", new long[] {2}), new TensorSpec("w", new long[] {3}));
    assertThatThrownBy(() -> JobLayout.of(join, 1L << 30)).hasMessage("the server's layout names tensor 'w' twice");
  }

  @Test
  @DisplayName("a tensor of more values than a Java array holds is refused")
  void refusesTensorBeyondAnArray() {
    JoinResponse join = announcing(new TensorSpec("huge", new long[] {1L << 20, 1L << 20}));
    assertThatThrownBy(() -> JobLayout.of(join, Long.MAX_VALUE))
        .hasMessageContaining("tensor 'huge' of shape [1048576, 1048576], more values than a Java array holds");
  }

  @Test
  @DisplayName("without announced tensors the layout is the built-in model's")
  void builtInWithoutTensors() {
    JoinResponse join = JoinResponse.newBuilder().setModel("mlp:4-3-2").build();
    assertThat(JobLayout.of(join, 1L << 30)).isEqualTo(ModelSpecs.forName("mlp:4-3-2"));
  }
}
