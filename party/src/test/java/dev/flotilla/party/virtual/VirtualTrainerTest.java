package dev.flotilla.party.virtual;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.train.RoundContext;
import dev.flotilla.party.train.TrainerException;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.testing.RealServer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("VirtualTrainer: a diverging virtual party fails its round as a deployed DJL party does")
class VirtualTrainerTest {

  private static final RoundContext ROUND = new RoundContext("sim", "party-1", 1, 1, 0);

  @Test
  @DisplayName("a huge learning rate: the update is never sent (TrainerException naming the tensor, which the party "
      + "runner turns into a skipped round); a sane one trains finite weights")
  void divergenceFailsTheRound() {
    var train = FashionMnist.train(RealServer.fashionMnistDirectory()).head(256);
    var test = FashionMnist.test(RealServer.fashionMnistDirectory()).head(64);
    try (TrainerPool pool = new TrainerPool(1)) {
      VirtualTrainer trainer = new VirtualTrainer("party-1", train, test, pool, 1, new ModelFetchGate(1), false);
      trainer.prepare("mlp", ModelSpecs.forName("mlp"));
      float[][] global = ModelSpecs.initialWeights("mlp", 1);
      assertThatThrownBy(() -> trainer.train(ROUND, global, new TrainingOptions(1, 32, 1e30f, 0.9f, 0, 1)))
          .isInstanceOf(TrainerException.class)
          .hasMessageContaining("[job sim, party party-1, round 1] training diverged: tensor 'fc")
          .hasMessageContaining("try a smaller --lr");
      var update = trainer.train(ROUND, global, new TrainingOptions(1, 32, 0.01f, 0.9f, 0, 1));
      assertThat(update.samples()).isEqualTo(256);
      for (float[] tensor : update.weights()) {
        for (float v : tensor) {
          assertThat(Float.isFinite(v)).isTrue();
        }
      }
    }
  }
}
