package dev.flotilla.e2e;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.demo.ChildProcess;
import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.testing.RequiresRealServers;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRealServers(FASHION_MNIST)
@DisplayName("Party crash")
class PartyDropIT {

  static final int ROUNDS = 3;

  @Test
  @DisplayName("a party killed mid-round does not stop the job while --min-parties is met, and is reported as dropped")
  void jobGoesOnWithoutTheDeadParty(@TempDir Path dir) {
    LocalFederation.Settings settings = Federations.settings()
        .rounds(ROUNDS)
        .minParties(2)
        .roundTimeout(Duration.ofSeconds(300));
    try (LocalFederation federation = Federations.start(settings, dir)) {
      JobStatus firstRound = Federations.awaitStatus(federation, "a first round completed",
          s -> s.roundsCompleted() >= 1, Duration.ofMinutes(5));
      assertThat(firstRound.roundsCompleted()).isLessThan(ROUNDS);
      ChildProcess victim = federation.parties().get(2);

      victim.kill();

      JobStatus done = Federations.awaitFinished(federation, Duration.ofMinutes(8), victim);
      assertThat(done.roundsCompleted()).isEqualTo(ROUNDS);
      assertThat(done.lateOrDroppedParties()).as("late_or_dropped in %s", StatusJson.write(done)).contains(victim.name());
      assertThat(done.lateOrDroppedByRound().keySet()).allMatch(round -> round > firstRound.roundsCompleted());
      assertThat(done.finalAccuracy()).isNotNull();
      assertThat(federation.parties().subList(0, 2)).allSatisfy(party -> assertThat(party.exitCode()).hasValue(0));
    }
  }
}
