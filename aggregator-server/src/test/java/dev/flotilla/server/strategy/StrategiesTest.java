package dev.flotilla.server.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class StrategiesTest {

  @Test
  @DisplayName("FedAvg's next global model is the weighted average itself, as a copy")
  void fedAvg() {
    float[][] average = {{1.5f, -2f}, {3f}};
    float[][] next = new FedAvg().nextGlobal(new float[][] {{0, 0}, {0}}, average);
    assertThat(next).isDeepEqualTo(average);
    assertThat(next[0]).isNotSameAs(average[0]);
  }

  @Test
  @DisplayName("FedProx aggregates like FedAvg and carries its mu for the parties")
  void fedProx() {
    Strategy prox = Strategies.byName("fedprox", 0.05, 0.01);
    assertThat(prox.proximalMu()).isEqualTo(0.05);
    assertThat(prox.nextGlobal(new float[][] {{9}}, new float[][] {{2}})).isDeepEqualTo(new float[][] {{2}});
    assertThat(Strategies.byName("fedavg", 0.05, 0.01).proximalMu()).isZero();
  }

  // lr 0.1, beta1 0.9, beta2 0.99, tau 1e-3; m0 = 0, v0 = tau^2 = 1e-6. Deltas +1 then -0.5.
  // step 1: m = 0.1, v = 0.99e-6 + 0.01 = 0.01000099 (Adam) | 1e-6 + 0.01 = 0.010001 (Yogi)
  //         g = 0.1 * 0.1 / (sqrt(v) + 0.001) = 0.0990050 (both, to 7 digits)
  // step 2: m = 0.09 - 0.05 = 0.04
  //         Adam v = 0.99 * 0.01000099 + 0.01 * 0.25 = 0.0124009801, g = g1 + 0.004 / (0.1113597 + 0.001) = 0.1346050
  //         Yogi v = 0.010001 + 0.01 * 0.25 (v < d^2) = 0.012501,   g = g1 + 0.004 / (0.1118079 + 0.001) = 0.1344635
  @Test
  @DisplayName("FedAdam takes the server Adam step on the averaged delta (numbers worked by hand)")
  void fedAdam() {
    FedOpt adam = FedOpt.adam(0.1);
    float[][] g1 = adam.nextGlobal(new float[][] {{0f}}, new float[][] {{1f}});
    assertThat((double) g1[0][0]).isCloseTo(0.0990050, within(1e-6));
    float[][] g2 = adam.nextGlobal(g1, new float[][] {{g1[0][0] - 0.5f}});
    assertThat((double) g2[0][0]).isCloseTo(0.1346050, within(1e-6));
    assertThat((double) adam.state().get("m")[0][0]).isCloseTo(0.04, within(1e-7));
    assertThat((double) adam.state().get("v")[0][0]).isCloseTo(0.0124009801, within(1e-8));
  }

  @Test
  @DisplayName("FedYogi's second moment grows additively when v < delta^2 (numbers worked by hand)")
  void fedYogi() {
    FedOpt yogi = FedOpt.yogi(0.1);
    float[][] g1 = yogi.nextGlobal(new float[][] {{0f}}, new float[][] {{1f}});
    assertThat((double) g1[0][0]).isCloseTo(0.0990050, within(1e-6));
    float[][] g2 = yogi.nextGlobal(g1, new float[][] {{g1[0][0] - 0.5f}});
    assertThat((double) yogi.state().get("v")[0][0]).isCloseTo(0.012501, within(1e-8));
    assertThat((double) g2[0][0]).isCloseTo(0.1344635, within(1e-6));
  }

  @Test
  @DisplayName("a restored optimiser state continues exactly where the saved one was")
  void restoreState() {
    FedOpt a = FedOpt.adam(0.1);
    float[][] g1 = a.nextGlobal(new float[][] {{0f, 1f}}, new float[][] {{1f, 0.5f}});
    Map<String, float[][]> saved = a.state();
    FedOpt b = FedOpt.adam(0.1);
    b.restore(saved);
    float[][] avg = {{0.3f, 0.7f}};
    assertThat(b.nextGlobal(g1, avg)).isDeepEqualTo(a.nextGlobal(g1, avg));
  }

  @Test
  @DisplayName("unknown strategy names and bad hyper-parameters are refused with the reason")
  void badInput() {
    assertThatThrownBy(() -> Strategies.byName("scaffold", 0, 0.1)).hasMessageContaining("fedavg, fedprox, fedadam, fedyogi");
    assertThatThrownBy(() -> Strategies.byName("fedprox", -1, 0.1)).hasMessageContaining("mu must be");
    assertThatThrownBy(() -> Strategies.byName("fedadam", 0, 0)).hasMessageContaining("learning rate must be > 0");
  }
}
