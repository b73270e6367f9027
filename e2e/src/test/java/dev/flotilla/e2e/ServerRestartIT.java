package dev.flotilla.e2e;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.demo.ChildProcess;
import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.testing.RequiresRealServers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRealServers(FASHION_MNIST)
@DisplayName("Aggregator crash")
class ServerRestartIT {

  static final int ROUNDS = 4;

  @Test
  @DisplayName("a server SIGKILLed mid-training and restarted on its state directory finishes every round; "
      + "the same party processes carry on and exit 0")
  void resumesFromCheckpoint(@TempDir Path dir) {
    LocalFederation.Settings settings = Federations.settings().rounds(ROUNDS);
    try (LocalFederation federation = Federations.start(settings, dir)) {
      List<ChildProcess> parties = federation.parties();
      List<Long> pids = parties.stream().map(ChildProcess::pid).toList();
      JobStatus beforeCrash = Federations.awaitStatus(federation, "a first round completed",
          s -> s.roundsCompleted() >= 1, Duration.ofMinutes(5));
      assertThat(beforeCrash.roundsCompleted()).isLessThan(ROUNDS);

      federation.server().kill();
      assertThat(federation.server().exitCode()).hasValue(137);
      assertThat(parties).allMatch(ChildProcess::isAlive, "party still running while the server is down");
      federation.startServer();

      JobStatus done = Federations.awaitFinished(federation, Duration.ofMinutes(8));

      assertThat(federation.serverStarts()).isEqualTo(2);
      assertThat(done.roundsCompleted()).isEqualTo(ROUNDS);
      assertThat(done.accuracyPerRound()).hasSize(ROUNDS);
      // resumed, not restarted: the rounds finished before the crash are the ones in the final record
      assertThat(done.rounds()).hasSize(ROUNDS);
      assertThat(done.rounds().subList(0, beforeCrash.roundsCompleted())).isEqualTo(beforeCrash.rounds());
      assertThat(done.finalAccuracy()).isNotNull();
      assertThat(federation.parties()).isEqualTo(parties);
      assertThat(federation.parties()).extracting(ChildProcess::pid).isEqualTo(pids);
      assertThat(parties).allSatisfy(party -> assertThat(party.exitCode()).hasValue(0));
    }
  }
}
