package dev.flotilla.server.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.protocol.model.ControlVariates;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.model.ModelSource;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScaffoldTest {

  @TempDir
  Path dir;

  private final List<TensorSpec> specs = ControlVariates.append(Plain.layout(2));

  @Test
  @DisplayName("the model half is the weighted mean of the y_i; c moves by fraction x the weighted mean of the deltas (by hand)")
  void byHand() throws Exception {
    // x = (1, 2), c = (0.5, -0.5); A (10 samples): y = (0, 2), c + dc = (1, 1); B (30): y = (1, 0), c + dc = (3, -1)
    float[][] base = {{1f, 2f}, {0.5f, -0.5f}};
    float[][] next = Plain.aggregate(new Scaffold(0.5), Plain.model(specs, base), dir, new double[] {10, 30},
        new float[][] {{0f, 2f}, {1f, 1f}}, new float[][] {{1f, 0f}, {3f, -1f}});
    assertThat(next[0][0]).isCloseTo(0.75f, within(1e-6f));
    assertThat(next[0][1]).isCloseTo(0.5f, within(1e-6f));
    // mean of c + dc = (2.5, -0.5); c + 0.5 (mean - c) = (1.5, -0.5)
    assertThat(next[1][0]).isCloseTo(1.5f, within(1e-6f));
    assertThat(next[1][1]).isCloseTo(-0.5f, within(1e-6f));
  }

  @Test
  @DisplayName("every party each round: c becomes the weighted mean of what the parties sent")
  void fullParticipation() throws Exception {
    float[][] base = {{1f, 2f}, {0.5f, -0.5f}};
    float[][] next = Plain.aggregate(Strategies.byName("scaffold", StrategyOptions.defaults()), Plain.model(specs, base),
        dir, new double[] {1, 1}, new float[][] {{0f, 0f}, {1f, 1f}}, new float[][] {{0f, 0f}, {3f, -1f}});
    assertThat(next[1]).containsExactly(2f, 0f);
  }

  @Test
  @DisplayName("the server's layout gains a zero control variate per tensor; layouts that do not mirror the model are refused")
  void layout() throws Exception {
    ModelSource source = ModelSource.builtIn("mlp", 1).withControlVariates();
    List<TensorSpec> layout = source.layout();
    int n = ControlVariates.modelTensors(layout);
    assertThat(layout).hasSize(2 * n);
    assertThat(layout.get(n).name()).isEqualTo("scaffold.c:" + layout.get(0).name());
    float[][] initial = source.initialValues();
    assertThat(initial[0]).isEqualTo(ModelSource.builtIn("mlp", 1).initialValues()[0]);
    for (int t = n; t < layout.size(); t++) {
      for (float v : initial[t]) {
        assertThat(v).isZero();
      }
    }
    // the model store takes values in layout order only: the control variates come after the model
    List<Integer> order = new java.util.ArrayList<>();
    source.writeInitial((tensor, offset, src, at, count) -> {
      if (order.isEmpty() || order.get(order.size() - 1) != tensor) {
        order.add(tensor);
      }
    });
    assertThat(order).isSorted().hasSize(layout.size());
    assertThatThrownBy(() -> ControlVariates.modelTensors(List.of(layout.get(0), layout.get(n + 1))))
        .hasMessageContaining("not the control variate of");
    assertThatThrownBy(() -> new Scaffold(1).begin(Plain.model(Plain.layout(2), new float[][] {{1, 2}}), dir))
        .hasMessageContaining("needs a layout with control variates");
    assertThatThrownBy(() -> new Scaffold(0)).hasMessageContaining("--fraction must be in (0, 1]");
  }
}
