package dev.flotilla.e2e;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.testing.RequiresRealServers;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4's learning acceptance: 3 parties, MLP, 5 rounds, Dirichlet(0.5) of the full Fashion-MNIST
 * training set, server and parties as separate processes over mutual TLS. One FedAvg run is the
 * baseline that FedProx and FedAdam are compared with, on the same split and initial model.
 */
@RequiresRealServers(FASHION_MNIST)
@DisplayName("Federated training over mTLS")
class StrategiesIT {

  static final int ROUNDS = 5;
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(12);

  static JobStatus fedAvg;
  static double fedAvgSeconds;

  @BeforeAll
  static void fedAvgBaseline(@TempDir Path dir) {
    long started = System.nanoTime();
    fedAvg = run("fedavg", dir);
    fedAvgSeconds = (System.nanoTime() - started) / 1e9;
  }

  static JobStatus run(String strategy, Path dir) {
    LocalFederation.Settings settings = Federations.settings().rounds(ROUNDS).strategy(strategy);
    try (LocalFederation federation = Federations.start(settings, dir)) {
      JobStatus status = Federations.awaitFinished(federation, RUN_TIMEOUT);
      System.out.printf("%s: final accuracy %s, per round %s, bytes up %d down %d%n", strategy,
          status.finalAccuracy(), status.accuracyPerRound(), status.bytesUp(), status.bytesDown());
      return status;
    }
  }

  @Test
  @DisplayName("FedAvg, 3 parties, MLP, 5 rounds on Dirichlet(0.5): the global model reaches >= 80% on the test set")
  void fedAvgReachesEightyPercent() {
    assertThat(fedAvg.roundsCompleted()).isEqualTo(ROUNDS);
    assertThat(fedAvg.parties()).containsExactlyInAnyOrder("party-1", "party-2", "party-3");
    assertThat(fedAvg.accuracyPerRound()).hasSize(ROUNDS);
    assertThat(fedAvg.tlsProvider()).isEqualTo("BoringSSL");
    assertThat(fedAvg.finalAccuracy()).isNotNull();
    assertThat(fedAvg.finalAccuracy()).as("final accuracy in %.0f s", fedAvgSeconds)
        .isGreaterThanOrEqualTo(0.80);
  }

  @Test
  @DisplayName("FedProx completes every round and is no more than 3 points below FedAvg on the same split")
  void fedProxMatchesFedAvg(@TempDir Path dir) {
    JobStatus fedProx = run("fedprox", dir);

    assertThat(fedProx.roundsCompleted()).isEqualTo(ROUNDS);
    assertThat(fedProx.finalAccuracy()).isNotNull();
    assertThat(fedProx.finalAccuracy())
        .as("%s against FedAvg's %s", fedProx.accuracyPerRound(), fedAvg.accuracyPerRound())
        .isGreaterThanOrEqualTo(fedAvg.finalAccuracy() - 0.03);
  }

  @Test
  @DisplayName("FedAdam completes every round and is no more than 3 points below FedAvg on the same split")
  void fedAdamMatchesFedAvg(@TempDir Path dir) {
    JobStatus fedAdam = run("fedadam", dir);

    assertThat(fedAdam.roundsCompleted()).isEqualTo(ROUNDS);
    assertThat(fedAdam.finalAccuracy()).isNotNull();
    assertThat(fedAdam.finalAccuracy())
        .as("%s against FedAvg's %s", fedAdam.accuracyPerRound(), fedAvg.accuracyPerRound())
        .isGreaterThanOrEqualTo(fedAvg.finalAccuracy() - 0.03);
  }
}
