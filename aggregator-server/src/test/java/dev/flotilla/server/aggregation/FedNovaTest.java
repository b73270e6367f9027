package dev.flotilla.server.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.MetricNames;
import dev.flotilla.server.admission.NormBound;
import io.grpc.Status;
import io.grpc.StatusException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FedNovaTest {

  @TempDir
  Path dir;

  private final List<TensorSpec> specs = Plain.layout(2);

  private static UpdateFacts facts(long samples, double steps, double momentum) {
    return new UpdateFacts(samples, Map.of(MetricNames.LOCAL_STEPS, steps, MetricNames.SGD_MOMENTUM, momentum), 1);
  }

  private float[][] aggregate(UpdateFacts[] facts, float[][]... updates) throws Exception {
    try (RoundAggregation round = new FedNova().begin(Plain.model(specs, new float[][] {{1f, 2f}}), dir)) {
      for (int p = 0; p < updates.length; p++) {
        UpdateSink sink = round.open("p" + p, facts[p]);
        Plain.send(sink, updates[p], 1);
        sink.commit();
      }
      return Plain.finish(round, specs);
    }
  }

  @Test
  @DisplayName("plain SGD: x - tau_eff * sum p_i (x - y_i) / tau_i, computed by hand")
  void plainSgdByHand() throws Exception {
    // x = (1, 2); A: 10 samples, 2 steps, y = (0, 2); B: 30 samples, 6 steps, y = (1, 0)
    // p = (1/4, 3/4); d_A = (0.5, 0), d_B = (0, 1/3); sum p d = (0.125, 0.25); tau_eff = 0.5 + 4.5 = 5
    float[][] next = aggregate(new UpdateFacts[] {facts(10, 2, 0), facts(30, 6, 0)},
        new float[][] {{0f, 2f}}, new float[][] {{1f, 0f}});
    assertThat(next[0][0]).isCloseTo(0.375f, within(1e-6f));
    assertThat(next[0][1]).isCloseTo(0.75f, within(1e-6f));
  }

  @Test
  @DisplayName("momentum: a_i is the L1 norm of the paper's vector (2 steps at rho 0.5: 1.5 + 1 = 2.5)")
  void momentumByHand() throws Exception {
    assertThat(FedNova.normalisedSteps(2, 0.5)).isCloseTo(2.5, within(1e-12));
    assertThat(FedNova.normalisedSteps(3, 0.5)).isCloseTo(1.75 + 1.5 + 1, within(1e-12));
    assertThat(FedNova.normalisedSteps(7, 0)).isEqualTo(7);
    // A: 10 samples, a = 2.5 (2 steps, rho 0.5), y = (0, 2); B: 10 samples, a = 5 (5 steps, plain), y = (1, 0)
    // d_A = (0.4, 0), d_B = (0, 0.4); sum p d = (0.2, 0.2); tau_eff = 3.75 -> x - (0.75, 0.75)
    float[][] next = aggregate(new UpdateFacts[] {facts(10, 2, 0.5), facts(10, 5, 0)},
        new float[][] {{0f, 2f}}, new float[][] {{1f, 0f}});
    assertThat(next[0][0]).isCloseTo(0.25f, within(1e-6f));
    assertThat(next[0][1]).isCloseTo(1.25f, within(1e-6f));
  }

  @Test
  @DisplayName("parties that took the same steps get FedAvg's sample-weighted mean")
  void equalStepsIsFedAvg() throws Exception {
    float[][] next = aggregate(new UpdateFacts[] {facts(10, 4, 0.9), facts(30, 4, 0.9)},
        new float[][] {{0f, 2f}}, new float[][] {{1f, 0f}});
    assertThat(next[0][0]).isCloseTo(0.75f, within(1e-6f));
    assertThat(next[0][1]).isCloseTo(0.5f, within(1e-6f));
  }

  @Test
  @DisplayName("a discarded update counts neither in the mean nor in tau_eff")
  void discardLeavesNoTrace() throws Exception {
    try (RoundAggregation round = new FedNova().begin(Plain.model(specs, new float[][] {{1f, 2f}}), dir)) {
      UpdateSink kept = round.open("a", facts(10, 2, 0));
      Plain.send(kept, new float[][] {{0f, 2f}}, 1);
      kept.commit();
      UpdateSink dropped = round.open("b", facts(30, 6, 0));
      Plain.send(dropped, new float[][] {{1f, 0f}}, 1);
      dropped.discard();
      float[][] next = Plain.finish(round, specs);
      assertThat(next[0]).containsExactly(0f, 2f); // one party: x - a (x - y) / a = y
    }
  }

  @Test
  @DisplayName("claims the job could not produce are refused with INVALID_ARGUMENT, saying what was expected")
  void boundsClaims() throws Exception {
    try (RoundAggregation round = new FedNova().begin(Plain.model(specs, new float[][] {{1f, 2f}}), dir)) {
      assertRefused(round, new UpdateFacts(10, Map.of(), 1), "has no metric 'local_steps'");
      assertRefused(round, facts(10, 21, 0), "claims 21.0 local steps; expected a whole number from 1 to 10");
      assertRefused(round, new UpdateFacts(10, Map.of(MetricNames.LOCAL_STEPS, 21.0), 2),
          "expected a whole number from 1 to 20 (2 local epochs of 10 samples)");
      assertRefused(round, facts(10, 0, 0), "claims 0.0 local steps");
      assertRefused(round, facts(10, 2.5, 0), "claims 2.5 local steps");
      assertRefused(round, facts(10, 2, 0.999), "claims SGD momentum 0.999; expected 0 to 0.99");
      assertRefused(round, facts(10, 2, -0.1), "claims SGD momentum -0.1");
      assertRefused(round, new UpdateFacts(10, Map.of(MetricNames.LOCAL_STEPS, 2.0), 0),
          "the job announced no local epochs");
      assertThat(round.committed()).isZero();
    }
  }

  @Test
  @DisplayName("the configuration refuses fednova without announced epochs, and with a norm bound")
  void configuration() {
    assertThatThrownBy(() -> Strategies.requireAnnouncedEpochs("fednova", 0))
        .hasMessageContaining("--strategy fednova needs --local-epochs >= 1 on the server");
    Strategies.requireAnnouncedEpochs("fedavg", 0);
    assertThatThrownBy(() -> Strategies.byName("fednova",
        StrategyOptions.defaults().withNormBound(new NormBound(1.0, NormBound.Action.CLIP))))
        .hasMessageContaining("--max-update-norm cannot be combined with --strategy fednova");
  }

  private static void assertRefused(RoundAggregation round, UpdateFacts facts, String message) {
    assertThatThrownBy(() -> round.open("liar", facts))
        .isInstanceOfSatisfying(StatusException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains(message);
        });
  }
}
