package dev.flotilla.party.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.party.PartyDataset;
import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@RequiresRealServers(RealServer.FASHION_MNIST)
class DjlTrainerTest {
  static final RoundContext ROUND = new RoundContext("fmnist", "alice", 1, 1, 0);

  static PartyDataset data() {
    return new PartyDataset(FashionMnist.train(RealServer.fashionMnistDirectory()).head(500),
        FashionMnist.test(RealServer.fashionMnistDirectory()).head(200), "500 training, 200 test samples");
  }

  @Test
  @DisplayName("a round evaluates the global model, trains it, and reports loss, accuracy, train_loss and the seconds it evaluated and trained, with the full layout")
  void trainsTheJobsBuiltIn() {
    try (DjlTrainer trainer = new DjlTrainer(data(), 1, null)) {
      assertThat(trainer.trainingSamples(RoundContext.beforeRounds("fmnist", "alice"))).isEqualTo(500);
      trainer.prepare("mlp", ModelSpecs.forName("mlp"));
      float[][] global = ModelSpecs.initialWeights("mlp", 1);
      LocalUpdate update = trainer.train(ROUND, global, new TrainingOptions(1, 32, 0.01f, 0.9f, 0, 1));
      assertThat(update.samples()).isEqualTo(500);
      assertThat(update.metrics()).containsOnlyKeys("loss", "accuracy", "train_loss", "train_seconds", "eval_seconds",
          "local_steps", "sgd_momentum");
      // what FedNova normalises by: 500 samples in batches of 32 are 16 steps, at momentum 0.9
      assertThat(update.metrics().get("local_steps")).isEqualTo(16.0);
      assertThat(update.metrics().get("sgd_momentum")).isEqualTo(0.9);
      // measured around the evaluation of the global model and the training
      assertThat(update.metrics().get("train_seconds")).isPositive();
      assertThat(update.metrics().get("eval_seconds")).isPositive();
      assertThat(update.metrics().get("accuracy")).isEqualTo(trainer.evaluate(ROUND, global).metrics().get("accuracy"));
      assertThat(update.weights().length).isEqualTo(6);
      assertThat(update.weights()[0]).isNotEqualTo(global[0]);
    }
  }

  @Test
  @DisplayName("training that diverges fails the round naming the tensor instead of sending non-finite values")
  void divergenceFailsTheRound() {
    try (DjlTrainer trainer = new DjlTrainer(data(), 1, null)) {
      trainer.prepare("mlp", ModelSpecs.forName("mlp"));
      assertThatThrownBy(() -> trainer.train(ROUND, ModelSpecs.initialWeights("mlp", 1),
          new TrainingOptions(1, 32, 1e30f, 0.9f, 0, 1)))
          .isInstanceOf(TrainerException.class)
          .hasMessageContaining("[job fmnist, party alice, round 1] training diverged: tensor 'fc")
          .hasMessageContaining("try a smaller --lr");
    }
  }

  @Test
  @DisplayName("a job whose model came from a file without a built-in name needs --torchscript or --trainer-command")
  void unnamedModelRefused() {
    try (DjlTrainer trainer = new DjlTrainer(data(), 1, null)) {
      assertThatThrownBy(() -> trainer.prepare("", ModelSpecs.forName("mlp")))
          .hasMessageContaining("--torchscript FILE.pt or --trainer-command CMD");
    }
  }
}
