package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.PrivacyStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.privacy.PrivacyBudget;
import dev.flotilla.server.privacy.PrivacyLedger;
import dev.flotilla.testing.FreePorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server jar restarted on a DP-FedAvg job's state with other DP settings: the checkpoint's ledger charges the
 * rounds already run with the settings they used, the new settings only the rounds after the restart; a restart
 * with another delta, or a budget below what was spent, is refused at start.
 */
@DisplayName("--privacy-budget across a restart: past rounds are charged as they ran; another delta or a budget "
    + "below epsilon spent is refused")
class PrivacyRestartIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");
  private static final double DELTA = 1e-5;
  private static final double LOUD = 4.0;
  private static final double QUIET = 1.0;

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  private ServerProcess start(TestPki pki, int port, double budget, double delta, double noiseMultiplier)
      throws Exception {
    return ServerProcess.onLoopback(dir, pki, port, "--rounds", "10", "--min-parties", "2",
        "--expected-parties", "2", "--model", "mlp", "--final-eval-wait", "20s", "--join-grace", "2s",
        "--privacy-budget", Double.toString(budget), "--dp-delta", Double.toString(delta), "--dp-clip-norm", "1",
        "--dp-noise-multiplier", Double.toString(noiseMultiplier), "--status-file", dir.resolve("status.json").toString());
  }

  private List<FakeParty> connect(TestPki pki, int port, ServerProcess server) {
    server.awaitServing(channels.open(pki, port, "probe"));
    FakeParty alice = channels.party(pki, port, "alice");
    FakeParty bob = channels.party(pki, port, "bob");
    alice.connect(100);
    bob.connect(200);
    return List.of(alice, bob);
  }

  /** Both parties train one round, sending the model back unchanged. */
  private static void round(List<FakeParty> parties) throws Exception {
    for (FakeParty p : parties) {
      TrainRequest t = p.awaitTrain();
      p.submit(t.getRound(), 100, Map.of("loss", 1.0), MLP, p.fetch(MLP, t.getModelVersion()).tensors());
    }
  }

  @Test
  @DisplayName("2 rounds at noise multiplier 4, SIGKILL, restart at noise multiplier 1: the job runs the 2 further "
      + "rounds the ledger allows (charging all 4 at 1 would allow fewer), ends with the reason, and its status "
      + "spends the ledger's epsilon; restarts with --dp-delta 1e-6 or a budget below it exit 6 saying why")
  void restartWithOtherSettings() throws Exception {
    PrivacyBudget loud = new PrivacyBudget(50, DELTA, 1, LOUD, 1);
    PrivacyLedger beforeKill = PrivacyLedger.empty(loud).charged(loud).charged(loud);
    PrivacyBudget reference = new PrivacyBudget(50, DELTA, 1, QUIET, 1);
    double budget = (beforeKill.epsilonAfter(reference, 2) + beforeKill.epsilonAfter(reference, 3)) / 2;
    PrivacyBudget quiet = new PrivacyBudget(budget, DELTA, 1, QUIET, 1);
    assertThat(quiet.roundsAllowed(beforeKill, 10)).isEqualTo(4);
    assertThat(quiet.roundsAllowed(PrivacyLedger.assumed(quiet, 2), 10))
        .as("charging the first 2 rounds at the new settings (what the server did without a ledger) differs")
        .isLessThan(4);
    TestPki pki = new TestPki(dir, "dp");
    int port = FreePorts.next();
    Path status = dir.resolve("status.json");

    try (ServerProcess first = start(pki, port, budget, DELTA, LOUD)) {
      List<FakeParty> parties = connect(pki, port, first);
      round(parties);
      round(parties);
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> StatusJson.readFile(status).roundsCompleted() == 2);
      first.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    PrivacyLedger expected = beforeKill.charged(quiet).charged(quiet);
    try (ServerProcess second = start(pki, port, budget, DELTA, QUIET)) {
      List<FakeParty> parties = connect(pki, port, second);
      round(parties); // round 3, the one in flight at the kill, runs again
      round(parties);
      for (FakeParty p : parties) {
        RoundEvent fin = p.nextEvent();
        assertThat(fin.getFinished().getRoundsCompleted()).as("the budget ends the job after round 4").isEqualTo(4);
        p.reportEvaluation(fin.getFinished().getModelVersion(), 0.5, 100);
      }
      assertThat(second.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(second.process().exitValue()).isZero();
      JobStatus s = StatusJson.readFile(status);
      assertThat(s.roundsCompleted()).isEqualTo(4);
      assertThat(s.endReason()).startsWith("privacy budget exhausted: round 5 would take epsilon to ")
          .endsWith(String.format(Locale.ROOT, "%.4g spent by 4 rounds)", expected.epsilon()));
      PrivacyStatus p = s.privacy();
      assertThat(p.epsilonSpent()).isEqualTo(expected.epsilon()).isLessThan(budget);
      assertThat(p.noiseMultiplier()).isEqualTo(QUIET);
      assertThat(p.roundsAllowed()).isEqualTo(4);
      assertThat(second.log()).contains("privacy ledger: 2 rounds at noise multiplier 4.0, sampling rate 1.0, "
          + "clip norm 1.0;");
    }

    try (ServerProcess otherDelta = start(pki, port, budget, 1e-6, QUIET)) {
      assertThat(otherDelta.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(otherDelta.process().exitValue()).isEqualTo(6);
      assertThat(otherDelta.log()).contains("cannot go on with this privacy budget: its 4 rounds were charged at "
          + "--dp-delta 1.0E-5, and this server is given --dp-delta 1.0E-6");
    }
    double lowered = expected.epsilon() * 0.9;
    try (ServerProcess belowSpent = start(pki, port, lowered, DELTA, QUIET)) {
      assertThat(belowSpent.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(belowSpent.process().exitValue()).isEqualTo(6);
      assertThat(belowSpent.log()).contains("its 4 rounds already spent epsilon "
          + String.format(Locale.ROOT, "%.4g", expected.epsilon()) + " (delta 1.0E-5), more than --privacy-budget "
          + lowered + ": a budget cannot be lowered below what was spent");
    }
  }
}
