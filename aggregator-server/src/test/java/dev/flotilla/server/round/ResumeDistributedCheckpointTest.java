package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.options.PrivacySettings;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.ServerModule;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.model.HeapModel;
import dev.flotilla.server.privacy.PrivacyBudget;
import dev.flotilla.server.privacy.PrivacyLedger;
import dev.flotilla.server.state.Checkpoint;
import dev.flotilla.server.state.CheckpointStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A distributed-DP job's checkpoint resumes whether a session-9 server wrote it (strategy recorded as fedavg, with
 * its privacy ledger) or the current one (dp-fedavg-distributed); any other job refuses it saying what to do.
 */
class ResumeDistributedCheckpointTest {
  private static final String MODEL = "mlp:4-3-2";
  private static final PrivacyBudget DISTRIBUTED = new PrivacyBudget(50, 1e-5, 1, 1, 1,
      PrivacySettings.NoiseMode.DISTRIBUTED, 0.1);
  private static final PrivacyBudget CENTRAL = new PrivacyBudget(50, 1e-5, 1, 1, 1);

  @TempDir
  Path dir;

  /** Round 1 of 3 done, as the server writes it (CheckpointStore), with strategy {@code recorded}. */
  private Path saved(String recorded, PrivacyLedger ledger) throws IOException {
    Path state = dir.resolve(recorded + (ledger == null ? "-plain" : ""));
    var specs = ModelSpecs.forName(MODEL);
    new CheckpointStore(state).save(new Checkpoint("jobR", MODEL, specs, recorded, 3, 1, 1,
        new HeapModel(1, specs, ModelSpecs.initialWeights(MODEL, 9)), Map.of(), List.of(), List.of(), Map.of(), 0, 0,
        ledger));
    return state;
  }

  private static ServerConfig job(Path state, PrivacyBudget privacy) {
    ServerConfig.Builder b = ServerConfig.builder().jobId("jobR").model(MODEL).rounds(3).minParties(3)
        .expectedParties(3).roundTimeout(Duration.ofMinutes(1)).stateDir(state);
    // distributed DP runs under SecAgg+; central DP may not (the aggregator clips what it sees)
    return (privacy == null ? b : privacy == DISTRIBUTED ? b.secureAggregation(100.0).privacy(privacy)
        : b.privacy(privacy)).build();
  }

  private static JobStatus resumed(ServerConfig config) throws Exception {
    RoundCoordinator coordinator = new RoundCoordinator(config, ServerModule.strategyOf(config),
        new CheckpointStore(config.stateDir()), new ServerMetrics(), "none (test)", Clock.systemUTC());
    try {
      return coordinator.status();
    } finally {
      coordinator.close();
    }
  }

  private static PrivacyLedger oneRound() {
    return PrivacyLedger.empty(DISTRIBUTED).charged(DISTRIBUTED);
  }

  @Test
  @DisplayName("a session-9 checkpoint (strategy fedavg, a privacy ledger) resumes under --dp-mode distributed at its "
      + "round, charged as it ran, and names dp-fedavg-distributed from then on")
  void sessionNineCheckpointResumes() throws Exception {
    JobStatus status = resumed(job(saved("fedavg", oneRound()), DISTRIBUTED));

    assertThat(status.roundsCompleted()).isEqualTo(1);
    assertThat(status.strategy()).isEqualTo("dp-fedavg-distributed");
    assertThat(status.privacy().epsilonSpent()).isCloseTo(oneRound().epsilon(), org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  @DisplayName("the current checkpoint (strategy dp-fedavg-distributed) resumes the same way")
  void currentCheckpointResumes() throws Exception {
    JobStatus status = resumed(job(saved("dp-fedavg-distributed", oneRound()), DISTRIBUTED));

    assertThat(status.roundsCompleted()).isEqualTo(1);
    assertThat(status.privacy().epsilonSpent()).isCloseTo(oneRound().epsilon(), org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  @DisplayName("a session-9 distributed checkpoint given to a central-DP or a plain job is refused, saying how to "
      + "resume it")
  void sessionNineCheckpointElsewhereRefused() throws Exception {
    Path state = saved("fedavg", oneRound());
    for (PrivacyBudget other : new PrivacyBudget[] {CENTRAL, null}) {
      assertThatThrownBy(() -> resumed(job(state, other))).isInstanceOf(IOException.class)
          .hasMessageContaining("belongs to job jobR with distributed DP (--secure-aggregation --dp-mode distributed; "
              + "recorded as strategy fedavg by an older server)")
          .hasMessageEndingWith("resume it with the job's id and --secure-aggregation --dp-mode distributed and its "
              + "--privacy-budget, or use another --state-dir");
    }
  }

  @Test
  @DisplayName("a plain FedAvg checkpoint (no privacy ledger) is no distributed-DP job's: refused as another strategy")
  void plainFedAvgCheckpointRefused() throws Exception {
    assertThatThrownBy(() -> resumed(job(saved("fedavg", null), DISTRIBUTED))).isInstanceOf(IOException.class)
        .hasMessageContaining("(model " + MODEL + ", strategy fedavg), not job jobR")
        .hasMessageContaining("strategy dp-fedavg-distributed); use another --state-dir or the job's settings");
  }
}
