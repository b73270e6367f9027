package dev.flotilla.e2e;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.testing.RequiresRealServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FedNova and SCAFFOLD through the real server and party processes over mutual TLS: 3 parties, MLP,
 * 2 rounds of Dirichlet(0.5) Fashion-MNIST. FedNova's step counts travel in the update's metrics;
 * SCAFFOLD's control variates travel with the model and the update, and each party keeps its c_i
 * in its --work-dir.
 */
@RequiresRealServers(FASHION_MNIST)
@DisplayName("FedNova and SCAFFOLD over mTLS")
class NonIidStrategiesIT {

  static final int ROUNDS = 2;
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(12);
  /** Two rounds of the MLP on this split reach ~0.75 with FedAvg; a broken aggregation stays near chance (0.1). */
  static final double SANE_ACCURACY = 0.6;

  static JobStatus run(String strategy, Path dir, Path workDir) {
    LocalFederation.Settings settings = Federations.settings().rounds(ROUNDS).strategy(strategy)
        .partyArg("--momentum", "0.9").partyArg("--lr", "0.01").partyArg("--work-dir", workDir.toString());
    try (LocalFederation federation = Federations.start(settings, dir)) {
      JobStatus status = Federations.awaitFinished(federation, RUN_TIMEOUT);
      System.out.printf("%s: final accuracy %s, per round %s%n", strategy, status.finalAccuracy(),
          status.accuracyPerRound());
      return status;
    }
  }

  @Test
  @DisplayName("FedNova: 2 rounds complete with every party's update, and the model reaches a sane accuracy")
  void fedNova(@TempDir Path dir) {
    JobStatus status = run("fednova", dir, dir.resolve("work"));
    assertThat(status.roundsCompleted()).isEqualTo(ROUNDS);
    assertThat(status.parties()).containsExactlyInAnyOrder("party-1", "party-2", "party-3");
    assertThat(status.finalAccuracy()).isNotNull();
    assertThat(status.finalAccuracy()).as("per round %s", status.accuracyPerRound()).isGreaterThan(SANE_ACCURACY);
  }

  @Test
  @DisplayName("SCAFFOLD: 2 rounds complete, a sane accuracy, and each party kept its control variate on disk")
  void scaffold(@TempDir Path dir) throws Exception {
    Path work = dir.resolve("work");
    JobStatus status = run("scaffold", dir, work);
    assertThat(status.roundsCompleted()).isEqualTo(ROUNDS);
    assertThat(status.finalAccuracy()).isNotNull();
    assertThat(status.finalAccuracy()).as("per round %s", status.accuracyPerRound()).isGreaterThan(SANE_ACCURACY);
    try (var files = Files.list(work)) {
      List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("scaffold-c-"))
          .sorted().toList();
      assertThat(names).hasSize(3).allMatch(n -> n.endsWith(".safetensors"));
    }
  }
}
