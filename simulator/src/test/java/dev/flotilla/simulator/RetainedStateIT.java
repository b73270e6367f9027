package dev.flotilla.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a virtual party keeps after its rounds, read from the simulation's parties once the job ended:
 * no trained update (it was accepted), so the heap is bounded by the sample and not by the party count;
 * under SCAFFOLD one control variate (a model's worth of floats) per party that trained, on the heap
 * within its budget and on disk beyond it.
 */
@RequiresRealServers({RealServer.FASHION_MNIST})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RetainedStateIT {

  private static final int PARTIES = 8;
  private static final int ROUNDS = 3;

  private VirtualData data;

  @BeforeAll
  void load() throws Exception {
    Path dir = RealServer.fashionMnistDirectory();
    ImageDataset train = FashionMnist.train(dir);
    ImageDataset test = FashionMnist.test(dir);
    data = VirtualData.split(train, test, "iid", PARTIES, 5);
  }

  private Simulation.Outcome run(String strategy, Path state) throws Exception {
    Simulation.Settings settings = new Simulation.Settings(ROUNDS, "mlp", strategy, 1, 0.5,
        new TrainingOptions(1, 64, 0.01f, 0.9f, 0f, 5, 0f), 2, state, Duration.ofMinutes(10), false, null, 0);
    Simulation.Outcome outcome = Simulation.run(settings, data, round -> { });
    assertThat(outcome.status().roundsCompleted()).isEqualTo(ROUNDS);
    return outcome;
  }

  private static long trainedParties(Simulation.Outcome outcome) {
    return outcome.status().rounds().stream().flatMap(r -> r.parties().stream()).distinct().count();
  }

  @Test
  @DisplayName("FedAvg: after the rounds no virtual party keeps an update or a control variate")
  void fedAvgKeepsNothing(@TempDir Path state) throws Exception {
    Simulation.Outcome outcome = run("fedavg", state);
    assertThat(trainedParties(outcome)).isGreaterThan(PARTIES / 2);
    assertThat(outcome.retained().updateValues()).isEmpty();
    assertThat(outcome.retained().controlVariateBytes()).isZero();
    assertThat(outcome.retained().controlVariatesInMemory() + outcome.retained().controlVariatesOnDisk()).isZero();
  }

  @Test
  @DisplayName("SCAFFOLD: exactly one model-sized control variate per party that trained, and no update")
  void scaffoldKeepsOneControlVariatePerTrainedParty(@TempDir Path state) throws Exception {
    Simulation.Outcome outcome = run("scaffold", state);
    long modelBytes = 4L * ModelSpecs.totalElements(ModelSpecs.forName("mlp"));
    long trained = trainedParties(outcome);
    VirtualParties.Retained retained = outcome.retained();
    assertThat(retained.updateValues()).isEmpty();
    assertThat(retained.controlVariatesInMemory() + retained.controlVariatesOnDisk()).isEqualTo(trained);
    assertThat(retained.controlVariateBytes()).isEqualTo(retained.controlVariatesInMemory() * modelBytes);
    try (var files = Files.list(state.resolve("control-variates"))) {
      assertThat(files.count()).isEqualTo(retained.controlVariatesOnDisk());
    } catch (java.nio.file.NoSuchFileException none) {
      assertThat(retained.controlVariatesOnDisk()).isZero();
    }
  }
}
