package dev.flotilla.server.round;

import static dev.flotilla.server.GrpcAssertions.assertRefused;
import static dev.flotilla.server.Weights.shifted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.FakeParty;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DeclineRound: a party that will not submit says so and the round stops waiting for it (the deadline here
 * is an hour: a round that completes at all did not wait for it); declines are the caller's own, once, and
 * not after its update was admitted.
 */
class RoundDeclineTest {

  private static final List<TensorSpec> CNN = ModelSpecs.forName("cnn");

  @TempDir
  Path dir;

  private ServerConfig.Builder config(int minParties) {
    return ServerConfig.builder().jobId("jobD").model("cnn").seed(3).rounds(1).minParties(minParties)
        .expectedParties(3).joinGrace(Duration.ofSeconds(5)).roundTimeout(Duration.ofHours(1))
        .finalEvaluationWait(Duration.ofSeconds(1)).stateDir(dir.resolve("state"))
        .statusFile(dir.resolve("status.json"));
  }

  private static void submit(FakeParty p, TrainRequest req) throws Exception {
    float[][] start = p.fetch(CNN, req.getModelVersion()).tensors();
    p.submit(req.getRound(), 100, Map.of("accuracy", 0.5, "loss", 1.0), CNN, shifted(start, 1f));
  }

  @Test
  @DisplayName("a declined party is recorded with its reason and the round completes without waiting for its deadline")
  void declineClosesTheRound() throws Exception {
    try (Federation f = new Federation(config(2).build())) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      FakeParty c = f.party("carol");
      a.connect(100);
      b.connect(100);
      c.connect(100);
      TrainRequest ra = a.awaitTrain();
      TrainRequest rb = b.awaitTrain();
      TrainRequest rc = c.awaitTrain();
      var answer = c.decline(rc.getRound(), rc.getAttempt(), "training failed: NaN in fc1.weight");
      assertThat(answer.getRound()).isEqualTo(1);
      assertThat(answer.getAttempt()).isEqualTo(1);
      // declined twice, or its update after it: refused, and the outcome stays the first decline
      assertRefused(() -> c.decline(1, 1, "other"), Status.Code.ALREADY_EXISTS,
          "party 'carol' already declined round 1 attempt 1 (training failed: NaN in fc1.weight)");
      assertRefused(() -> submit(c, rc), Status.Code.FAILED_PRECONDITION, "party 'carol' declined round 1");
      submit(a, ra);
      // a decline after the caller's update was admitted is refused with the reason
      assertRefused(() -> a.decline(1, 1, "changed my mind"), Status.Code.FAILED_PRECONDITION,
          "party 'alice' cannot decline round 1 attempt 1: its update for it was already admitted");
      submit(b, rb);
      await().atMost(Duration.ofMinutes(2)).until(() -> f.coordinator.roundsCompleted() == 1);
      RoundRecord r1 = f.coordinator.history().get(0);
      assertThat(r1.attempts()).isEqualTo(1);
      assertThat(r1.parties()).containsExactlyInAnyOrder("alice", "bob");
      assertThat(r1.lateOrDropped()).containsExactly(Map.entry("carol", "declined: training failed: NaN in fc1.weight"));
      // the state writer writes the status file on its own thread
      await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
        JsonObject status = JsonParser.parseString(Files.readString(dir.resolve("status.json"))).getAsJsonObject();
        assertThat(status.getAsJsonArray("rounds").get(0).getAsJsonObject().getAsJsonObject("late_or_dropped")
            .get("carol").getAsString()).isEqualTo("declined: training failed: NaN in fc1.weight");
      });
    }
  }

  @Test
  @DisplayName("when declines leave too few for --min-parties the attempt closes at once and the retry starts")
  void tooFewLeftRetriesAtOnce() throws Exception {
    try (Federation f = new Federation(config(3).build())) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      FakeParty c = f.party("carol");
      a.connect(100);
      b.connect(100);
      c.connect(100);
      a.awaitTrain();
      b.awaitTrain();
      c.decline(1, c.awaitTrain().getAttempt(), "training failed: diverged");
      // nobody else answered and the deadline is an hour away: attempt 2 comes because of the decline alone
      TrainRequest retryA = a.awaitTrain();
      TrainRequest retryB = b.awaitTrain();
      TrainRequest retryC = c.awaitTrain();
      assertThat(List.of(retryA.getAttempt(), retryB.getAttempt(), retryC.getAttempt())).containsOnly(2);
      // the old attempt is over: declining it again is refused
      assertRefused(() -> c.decline(1, 1, "late"), Status.Code.FAILED_PRECONDITION,
          "party 'carol' declined round 1 attempt 1, which is not open in job jobD (round 1 attempt 2 is)");
      submit(a, retryA);
      submit(b, retryB);
      submit(c, retryC);
      await().atMost(Duration.ofMinutes(2)).until(() -> f.coordinator.roundsCompleted() == 1);
      RoundRecord r1 = f.coordinator.history().get(0);
      assertThat(r1.attempts()).isEqualTo(2);
      assertThat(r1.parties()).containsExactlyInAnyOrder("alice", "bob", "carol");
      assertThat(r1.lateOrDropped()).containsEntry("carol", "declined: training failed: diverged");
    }
  }

  @Test
  @DisplayName("a decline names no party (the caller's identity is used), and a bad reason or round is refused")
  void refusals() throws Exception {
    try (Federation f = new Federation(config(2).build())) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      FakeParty c = f.party("carol");
      FakeParty mallory = f.party("mallory");
      a.connect(100);
      b.connect(100);
      c.connect(100);
      a.awaitTrain();
      b.awaitTrain();
      c.awaitTrain();
      assertRefused(() -> a.decline(1, 1, "x".repeat(501)), Status.Code.INVALID_ARGUMENT,
          "a reason of 501 characters, more than 500");
      assertRefused(() -> a.decline(1, 1, "line\ninjected"), Status.Code.INVALID_ARGUMENT, "control characters");
      assertRefused(() -> a.decline(1, 1, "  "), Status.Code.INVALID_ARGUMENT, "gives no reason");
      assertRefused(() -> a.decline(2, 1, "ahead"), Status.Code.FAILED_PRECONDITION,
          "party 'alice' declined round 2 attempt 1, which is not open");
      assertRefused(() -> a.decline(1, 2, "ahead"), Status.Code.FAILED_PRECONDITION, "which is not open");
      // a caller that holds no slot of the job cannot decline anything (its call is refused at admission)
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> mallory.decline(1, 1, "for alice"))
          .isInstanceOf(io.grpc.StatusRuntimeException.class);
      // none of this ended anyone's part; a reason of exactly 500 characters is taken
      assertThat(f.coordinator.roundsCompleted()).isZero();
      b.decline(1, 1, "bob's own");
      a.decline(1, 1, "x".repeat(500));
      // two of three declined, fewer than --min-parties 2 left: attempt 2 at once, carol's part untouched
      assertThat(a.awaitTrain().getAttempt()).isEqualTo(2);
      assertThat(c.awaitTrain().getAttempt()).isEqualTo(2);
    }
  }
}
