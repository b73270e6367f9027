package dev.flotilla.protocol.status;

import static dev.flotilla.protocol.status.MetricNames.ACCURACY;
import static dev.flotilla.protocol.status.MetricNames.EVAL_SECONDS;
import static dev.flotilla.protocol.status.MetricNames.TRAIN_SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RoundTimesTest {

  @Test
  @DisplayName("the times are those of the update with the most training + evaluation; protocol is the rest")
  void criticalUpdate() {
    RoundTimes t = RoundTimes.split(5.0, List.of(
        Map.of(TRAIN_SECONDS, 3.0, EVAL_SECONDS, 1.0),
        Map.of(TRAIN_SECONDS, 3.5, EVAL_SECONDS, 0.25),
        Map.of(ACCURACY, 0.5)));

    assertThat(t.trainingSeconds()).isEqualTo(3.0);
    assertThat(t.evaluationSeconds()).isEqualTo(1.0);
    assertThat(t.protocolSeconds()).isCloseTo(1.0, within(1e-12));
  }

  @Test
  @DisplayName("an update without eval_seconds counts as no evaluation time")
  void noEvaluation() {
    RoundTimes t = RoundTimes.split(2.0, List.of(Map.of(TRAIN_SECONDS, 1.5)));

    assertThat(t).isEqualTo(new RoundTimes(1.5, 0.0, 0.5));
  }

  @Test
  @DisplayName("a party claiming more time than the round took cannot make protocol time negative")
  void clampedToTheDuration() {
    RoundTimes t = RoundTimes.split(4.0, List.of(Map.of(TRAIN_SECONDS, 100.0, EVAL_SECONDS, 7.0)));
    assertThat(t).isEqualTo(new RoundTimes(4.0, 0.0, 0.0));

    RoundTimes evalTooLong = RoundTimes.split(4.0, List.of(Map.of(TRAIN_SECONDS, 3.0, EVAL_SECONDS, 7.0)));
    assertThat(evalTooLong).isEqualTo(new RoundTimes(3.0, 1.0, 0.0));
  }

  @Test
  @DisplayName("negative reported times count as 0")
  void negative() {
    RoundTimes t = RoundTimes.split(3.0, List.of(Map.of(TRAIN_SECONDS, -2.0, EVAL_SECONDS, -1.0)));

    assertThat(t).isEqualTo(new RoundTimes(0.0, 0.0, 3.0));
  }

  @Test
  @DisplayName("no update reporting train_seconds: the times are unknown (null), not 0")
  void unknown() {
    assertThat(RoundTimes.split(3.0, List.of(Map.of(ACCURACY, 0.5), Map.of(EVAL_SECONDS, 1.0))))
        .isEqualTo(RoundTimes.UNKNOWN);
    assertThat(RoundTimes.split(3.0, List.of())).isEqualTo(RoundTimes.UNKNOWN);
  }
}
