package dev.flotilla.server.round;

import static dev.flotilla.protocol.status.MetricNames.ACCURACY;
import static dev.flotilla.protocol.status.MetricNames.EVAL_SECONDS;
import static dev.flotilla.protocol.status.MetricNames.TRAIN_SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.FakeParty;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The round record's split of its duration into training, evaluation and protocol time, as parties report it. */
class RoundRecordTimesTest {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");

  @TempDir
  Path dir;

  private Federation federation() throws Exception {
    return new Federation(ServerConfig.builder().jobId("jobT").model("mlp").seed(3).rounds(2).minParties(2)
        .expectedParties(2).joinGrace(Duration.ofSeconds(5)).roundTimeout(Duration.ofSeconds(30))
        .finalEvaluationWait(Duration.ofMillis(100)).stateDir(dir.resolve("state")).statusFile(dir.resolve("status.json"))
        .build());
  }

  private static void train(FakeParty p, Map<String, Double> metrics) throws Exception {
    TrainRequest req = p.awaitTrain();
    p.submit(req.getRound(), 100, metrics, MLP, p.fetch(MLP, req.getModelVersion()).tensors());
  }

  @Test
  @DisplayName("the round's times are its slowest party's, protocol time is the rest; a party's inflated times are "
      + "clamped to the round's duration; the status file has them")
  void times() throws Exception {
    try (Federation f = federation()) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      a.connect(100);
      b.connect(100);
      // round 1: honest and tiny, so they fit in the round whatever the machine's speed
      train(a, Map.of(ACCURACY, 0.5, TRAIN_SECONDS, 0.002, EVAL_SECONDS, 0.001));
      train(b, Map.of(ACCURACY, 0.5, TRAIN_SECONDS, 0.001, EVAL_SECONDS, 0.0005));
      await().atMost(Duration.ofSeconds(20)).until(() -> f.coordinator.roundsCompleted() == 1);
      // round 2: bob claims a day of training and of evaluation
      train(a, Map.of(ACCURACY, 0.6, TRAIN_SECONDS, 0.002, EVAL_SECONDS, 0.001));
      train(b, Map.of(ACCURACY, 0.6, TRAIN_SECONDS, 86_400.0, EVAL_SECONDS, 86_400.0));
      await().atMost(Duration.ofSeconds(20)).until(() -> f.coordinator.roundsCompleted() == 2);

      RoundRecord r1 = f.coordinator.history().get(0);
      assertThat(r1.trainingSeconds()).isEqualTo(0.002);
      assertThat(r1.evaluationSeconds()).isEqualTo(0.001);
      assertThat(r1.protocolSeconds()).isCloseTo(r1.durationSeconds() - 0.003, within(1e-12));
      assertThat(r1.protocolSeconds()).isGreaterThanOrEqualTo(0);
      // the times are not averaged into the learning metrics
      assertThat(r1.metrics()).containsOnlyKeys(ACCURACY);

      RoundRecord r2 = f.coordinator.history().get(1);
      assertThat(r2.trainingSeconds()).isEqualTo(r2.durationSeconds());
      assertThat(r2.evaluationSeconds()).isZero();
      assertThat(r2.protocolSeconds()).isZero();

      f.done.get(20, java.util.concurrent.TimeUnit.SECONDS);
      JobStatus status = StatusJson.readFile(dir.resolve("status.json"));
      assertThat(status.rounds()).containsExactly(r1, r2);
    }
  }
}
