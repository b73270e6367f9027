package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.protocol.status.PrivacyStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.privacy.PrivacyBudget;
import dev.flotilla.testing.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server jar over mutual TLS with --privacy-budget: DP-FedAvg's noise is in the models the
 * parties fetch, and the job ends at the last round the budget allows, saying why.
 */
@DisplayName("--privacy-budget: the server jar stops a DP-FedAvg job at its budget, with the reason and epsilon in status")
class PrivacyBudgetIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");
  private static final double CLIP = 1.0;
  private static final double NOISE_MULTIPLIER = 2.0;

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  @Test
  @DisplayName("a budget between the epsilon of 2 and of 3 rounds (of 10): 2 rounds run, each model is the last "
      + "plus noise of std z S / E = 1 (parties send the model back unchanged), then the job ends with exit 0, "
      + "'privacy budget exhausted: round 3 ...' and epsilon spent in the status file and the termination message")
  void budgetStopsTheJob() throws Exception {
    PrivacyBudget reference = new PrivacyBudget(50, 1e-5, CLIP, NOISE_MULTIPLIER, 1.0);
    double budget = (reference.epsilonAfter(2) + reference.epsilonAfter(3)) / 2;
    TestPki pki = new TestPki(dir, "dp");
    int port = FreePorts.next();
    Path status = dir.resolve("status.json");
    Path message = dir.resolve("termination-log");
    try (ServerProcess server = ServerProcess.onLoopback(dir, pki, port, "--rounds", "10", "--min-parties", "2",
        "--expected-parties", "2", "--model", "mlp", "--final-eval-wait", "20s", "--join-grace", "2s",
        "--privacy-budget", Double.toString(budget), "--dp-delta", "1e-5", "--dp-clip-norm", Double.toString(CLIP),
        "--dp-noise-multiplier", Double.toString(NOISE_MULTIPLIER), "--status-file", status.toString(),
        "--termination-message", message.toString())) {
      server.awaitServing(channels.open(pki, port, "probe"));
      FakeParty alice = channels.party(pki, port, "alice");
      FakeParty bob = channels.party(pki, port, "bob");
      alice.connect(100);
      bob.connect(200);
      List<float[][]> models = new ArrayList<>();
      for (int round = 1; round <= 2; round++) {
        TrainRequest t = alice.awaitTrain();
        bob.awaitTrain();
        float[][] weights = alice.fetch(MLP, t.getModelVersion()).tensors();
        models.add(weights);
        alice.submit(t.getRound(), 100, Map.of("loss", 1.0), MLP, weights);
        bob.submit(t.getRound(), 200, Map.of("loss", 1.0), MLP, weights);
      }
      for (FakeParty p : List.of(alice, bob)) {
        RoundEvent fin = p.nextEvent();
        assertThat(fin.hasFinished()).as("after 2 rounds the job finishes").isTrue();
        assertThat(fin.getFinished().getRoundsCompleted()).isEqualTo(2);
        p.reportEvaluation(fin.getFinished().getModelVersion(), 0.5, 100);
      }
      models.add(alice.fetch(MLP, 2).tensors());
      assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).as("the server exits when the job ends").isTrue();
      assertThat(server.process().exitValue()).isZero();

      // both parties sent the model back: the next model is it plus N(0, (z S / E)^2) = N(0, 1) per value
      for (int r = 0; r < 2; r++) {
        assertThat(residualStd(models.get(r), models.get(r + 1))).as("noise std of round " + (r + 1))
            .isCloseTo(NOISE_MULTIPLIER * CLIP / 2, within(0.05));
      }
      JobStatus s = StatusJson.readFile(status);
      assertThat(s.finished()).isTrue();
      assertThat(s.roundsCompleted()).isEqualTo(2);
      assertThat(s.roundsTotal()).isEqualTo(10);
      assertThat(s.strategy()).isEqualTo("dp-fedavg");
      assertThat(s.endReason()).startsWith("privacy budget exhausted: round 3 would take epsilon to ")
          .contains("beyond --privacy-budget " + budget);
      PrivacyStatus p = s.privacy();
      assertThat(p.epsilonSpent()).isEqualTo(reference.epsilonAfter(2)).isLessThan(budget);
      assertThat(p.epsilonBudget()).isEqualTo(budget);
      assertThat(p.roundsAllowed()).isEqualTo(2);
      assertThat(p.noiseMultiplier()).isEqualTo(NOISE_MULTIPLIER);
      JobSummary summary = StatusJson.readSummary(Files.readString(message));
      assertThat(summary.epsilonSpent()).isEqualTo(p.epsilonSpent());
      assertThat(summary.endReason()).isEqualTo(s.endReason());
      assertThat(server.log()).contains("privacy budget exhausted: round 3");
    }
  }

  private static double residualStd(float[][] before, float[][] after) {
    double n = 0;
    double squares = 0;
    for (int t = 0; t < before.length; t++) {
      for (int i = 0; i < before[t].length; i++) {
        double r = (double) after[t][i] - before[t][i];
        squares += r * r;
        n++;
      }
    }
    return Math.sqrt(squares / n);
  }
}
