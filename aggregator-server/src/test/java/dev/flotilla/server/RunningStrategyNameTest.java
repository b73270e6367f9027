package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.options.PrivacySettings;
import dev.flotilla.server.privacy.PrivacyBudget;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The strategy a job reports (status, checkpoint, Join) names what actually runs, not the --strategy flag. */
class RunningStrategyNameTest {
  @TempDir
  Path dir;

  private ServerConfig.Builder job() {
    return ServerConfig.builder().jobId("j").model("mlp:4-3-2").rounds(1).minParties(3).expectedParties(3)
        .roundTimeout(Duration.ofMinutes(1)).stateDir(dir);
  }

  @Test
  @DisplayName("distributed DP names dp-fedavg-distributed, central DP dp-fedavg, SecAgg+ alone the strategy given")
  void namesWhatRuns() {
    PrivacyBudget distributed = new PrivacyBudget(8, 1e-5, 1, 1, 1, PrivacySettings.NoiseMode.DISTRIBUTED, 0.1);
    assertThat(ServerModule.strategyOf(job().secureAggregation(100.0).privacy(distributed).build()).name())
        .isEqualTo("dp-fedavg-distributed");
    assertThat(ServerModule.strategyOf(job().privacy(new PrivacyBudget(8, 1e-5, 1, 1, 1)).build()).name())
        .isEqualTo("dp-fedavg");
    // SecAgg+ without DP: the strategy's server optimiser applies to the unmasked mean, so it is what runs
    assertThat(ServerModule.strategyOf(job().secureAggregation(100.0).strategy("fedadam").build()).name())
        .isEqualTo("fedadam");
  }
}
