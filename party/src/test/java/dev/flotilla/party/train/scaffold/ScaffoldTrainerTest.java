package dev.flotilla.party.train.scaffold;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.party.train.Evaluation;
import dev.flotilla.party.train.LocalTrainer;
import dev.flotilla.party.train.LocalUpdate;
import dev.flotilla.party.train.RoundContext;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.ControlVariates;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.MetricNames;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScaffoldTrainerTest {

  private static final List<TensorSpec> MODEL = List.of(new TensorSpec("w", new long[] {2}));
  private static final List<TensorSpec> JOB = ControlVariates.append(MODEL);
  private static final RoundContext ROUND = new RoundContext("job", "alice", 1, 1, 1);
  /** lr 0.5; the fake takes 4 steps: K lr = 2. */
  private static final TrainingOptions OPTIONS = new TrainingOptions(1, 10, 0.5f, 0, 0, 1);

  /** Moves every weight by -1 and records what it was handed. */
  private static final class Fake implements LocalTrainer {
    final List<float[][]> handed = new ArrayList<>();
    final List<float[][]> corrections = new ArrayList<>();
    List<TensorSpec> prepared;
    final boolean corrects;

    Fake(boolean corrects) {
      this.corrects = corrects;
    }

    @Override public String description() { return "a fake trainer"; }
    @Override public int trainingSamples(RoundContext context) { return 10; }
    @Override public void prepare(String model, List<TensorSpec> layout) { prepared = layout; }
    @Override public boolean appliesCorrection() { return corrects; }
    @Override public void close() {}

    @Override
    public Evaluation evaluate(RoundContext round, float[][] global) {
      handed.add(global);
      return new Evaluation(Map.of(MetricNames.LOSS, 1.0, MetricNames.ACCURACY, 0.5), 3);
    }

    @Override
    public LocalUpdate train(RoundContext round, float[][] global, TrainingOptions options) {
      handed.add(global);
      corrections.add(options.correction());
      float[][] y = {{global[0][0] - 1, global[0][1] - 1}};
      return new LocalUpdate(y, 10, Map.of(MetricNames.LOCAL_STEPS, 4.0));
    }
  }

  @Test
  @DisplayName("option II by hand: correction c - c_i, update y then (x - y)/(K lr), c_i+ = c_i - c + (x - y)/(K lr) kept for the next round")
  void optionTwoByHand() {
    Fake fake = new Fake(true);
    ControlVariateStore store = ControlVariateStore.inMemory();
    ScaffoldTrainer trainer = new ScaffoldTrainer(fake, store);
    trainer.prepare("mlp", JOB);
    assertThat(fake.prepared).isEqualTo(MODEL);

    // x = (1, 2), c = (0.25, -0.5), c_i = 0 at first
    LocalUpdate first = trainer.train(ROUND, new float[][] {{1, 2}, {0.25f, -0.5f}}, OPTIONS);
    assertThat(fake.handed.get(0)).isDeepEqualTo(new float[][] {{1, 2}});
    assertThat(fake.corrections.get(0)).isDeepEqualTo(new float[][] {{0.25f, -0.5f}});
    // y = (0, 1); (x - y) / (K lr) = (0.5, 0.5)
    assertThat(first.weights()).isDeepEqualTo(new float[][] {{0, 1}, {0.5f, 0.5f}});
    // c_i+ = 0 - (0.25, -0.5) + (0.5, 0.5) = (0.25, 1)
    assertThat(store.load("job.alice", MODEL)).isDeepEqualTo(new float[][] {{0.25f, 1f}});

    // the next round corrects with c - c_i+
    trainer.train(ROUND, new float[][] {{1, 2}, {1f, 1f}}, OPTIONS);
    assertThat(fake.corrections.get(1)[0][0]).isCloseTo(0.75f, within(1e-6f));
    assertThat(fake.corrections.get(1)[0][1]).isCloseTo(0f, within(1e-6f));

    trainer.evaluate(ROUND, new float[][] {{7, 8}, {9, 9}});
    assertThat(fake.handed.get(2)).isDeepEqualTo(new float[][] {{7, 8}});
  }

  @Test
  @DisplayName("without control variates in the layout everything passes through uncorrected")
  void passThrough() {
    Fake fake = new Fake(false);
    ScaffoldTrainer trainer = new ScaffoldTrainer(fake, ControlVariateStore.inMemory());
    trainer.prepare("mlp", MODEL);
    LocalUpdate update = trainer.train(ROUND, new float[][] {{1, 2}}, OPTIONS);
    assertThat(update.weights()).isDeepEqualTo(new float[][] {{0, 1}});
    assertThat(fake.corrections.get(0)).isNull();
  }

  @Test
  @DisplayName("a SCAFFOLD job is refused by a trainer that cannot correct its gradients, saying why")
  void refusesTrainerWithoutCorrection() {
    ScaffoldTrainer trainer = new ScaffoldTrainer(new Fake(false), ControlVariateStore.inMemory());
    assertThatThrownBy(() -> trainer.prepare("mlp", JOB))
        .hasMessageContaining("the job runs SCAFFOLD, which corrects every local gradient; a fake trainer cannot");
  }

  @Test
  @DisplayName("in a directory, c_i survives a restart of the party (a new store on the same directory)")
  void directoryStoreSurvivesRestart(@TempDir Path dir) {
    assertThat(ControlVariateStore.inDirectory(dir).load("job", MODEL)).isDeepEqualTo(new float[][] {{0, 0}});
    ControlVariateStore.inDirectory(dir).save("job", MODEL, new float[][] {{0.25f, -3f}});
    assertThat(ControlVariateStore.inDirectory(dir).load("job", MODEL)).isDeepEqualTo(new float[][] {{0.25f, -3f}});
    assertThat(ControlVariateStore.inDirectory(dir).load("other", MODEL)).isDeepEqualTo(new float[][] {{0, 0}});
    List<TensorSpec> other = List.of(new TensorSpec("v", new long[] {2}));
    assertThatThrownBy(() -> ControlVariateStore.inDirectory(dir).load("job", other))
        .hasMessageContaining("holds a control variate of another layout");
  }
}
