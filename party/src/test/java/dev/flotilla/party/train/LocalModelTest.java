package dev.flotilla.party.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@RequiresRealServers(RealServer.FASHION_MNIST)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalModelTest {
  ImageDataset train;
  ImageDataset test;

  @BeforeAll
  void load() {
    train = FashionMnist.train(RealServer.fashionMnistDirectory()).head(10000);
    test = FashionMnist.test(RealServer.fashionMnistDirectory()).head(2000);
  }

  static float[][] randomWeights(LocalModel model, long seed) {
    Random random = new Random(seed);
    List<long[]> shapes = model.parameterShapes();
    float[][] weights = new float[shapes.size()][];
    for (int i = 0; i < weights.length; i++) {
      long size = 1;
      for (long d : shapes.get(i)) {
        size *= d;
      }
      weights[i] = new float[(int) size];
      for (int j = 0; j < weights[i].length; j++) {
        weights[i][j] = (float) (random.nextGaussian() * 0.05);
      }
    }
    return weights;
  }

  static double distance(float[][] a, float[][] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        double d = a[i][j] - b[i][j];
        sum += d * d;
      }
    }
    return Math.sqrt(sum);
  }

  @Test
  @DisplayName("the PyTorch engine starts offline from the bundled native jar")
  void engineOffline() {
    ai.djl.engine.Engine engine = PyTorchEngine.get();
    assertThat(engine.getEngineName()).isEqualTo("PyTorch");
    assertThat(engine.getVersion()).startsWith("2.7.1");
    assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Architecture.class)
  @DisplayName("the DJL parameters come out in the order and shapes of the wire layout (ModelSpecs)")
  void layoutMatchesWire(Architecture architecture) {
    try (LocalModel model = LocalModel.create(architecture, 1)) {
      List<TensorSpec> wire = ModelSpecs.forName(architecture.wireName());
      assertThat(model.parameterShapes()).hasSameSizeAs(wire);
      for (int i = 0; i < wire.size(); i++) {
        assertThat(model.parameterShapes().get(i)).as(wire.get(i).name()).containsExactly(wire.get(i).shape());
      }
      model.setWeights(ModelSpecs.initialWeights(architecture.wireName(), 9));
      assertThat(model.weights()).isDeepEqualTo(ModelSpecs.initialWeights(architecture.wireName(), 9));
    }
  }

  @Test
  @DisplayName("DJL names the parameters after their layers, in wire order")
  void parameterNames() {
    try (LocalModel model = LocalModel.create(Architecture.MLP, 1)) {
      assertThat(model.parameterNames()).containsExactly("01Linear_weight", "01Linear_bias", "03Linear_weight",
          "03Linear_bias", "05Linear_weight", "05Linear_bias");
    }
    try (LocalModel model = LocalModel.create(Architecture.CNN, 1)) {
      assertThat(model.parameterNames()).containsExactly("01Conv2d_weight", "01Conv2d_bias", "04Conv2d_weight",
          "04Conv2d_bias", "08Linear_weight", "08Linear_bias", "10Linear_weight", "10Linear_bias",
          "12Linear_weight", "12Linear_bias");
    }
  }

  @Test
  @DisplayName("weights set from float[][] come back bit for bit, for both models")
  void weightsRoundTrip() {
    for (Architecture architecture : Architecture.values()) {
      try (LocalModel model = LocalModel.create(architecture, 2)) {
        float[][] weights = randomWeights(model, 3);
        model.setWeights(weights);
        assertThat(model.weights()).isDeepEqualTo(weights);
      }
    }
  }

  @Test
  @DisplayName("weights of the wrong count or size are refused naming the tensor")
  void wrongWeightsRefused() {
    try (LocalModel model = LocalModel.create(Architecture.MLP, 2)) {
      float[][] weights = randomWeights(model, 3);
      assertThatThrownBy(() -> model.setWeights(new float[][] {weights[0]})).hasMessageContaining("6 tensors");
      weights[2] = new float[5];
      assertThatThrownBy(() -> model.setWeights(weights)).hasMessageContaining("tensor 2").hasMessageContaining("40000");
    }
  }

  @Test
  @DisplayName("one epoch of centralized MLP training on 10000 samples reaches > 0.75 accuracy on held-out test data")
  void mlpLearns() {
    try (LocalModel model = LocalModel.create(Architecture.MLP, 4)) {
      model.setWeights(ModelSpecs.initialWeights("mlp", 4));
      Evaluation before = model.evaluate(test, 500);
      long start = System.nanoTime();
      TrainResult result = model.train(train, new TrainingOptions(1, 32, 0.01f, 0.9f, 0, 5));
      double seconds = (System.nanoTime() - start) / 1e9;
      Evaluation after = model.evaluate(test, 500);
      System.out.printf("MLP: before %.3f after %.3f (loss %.3f, train loss %.3f) in %.1fs%n",
          before.accuracy(), after.accuracy(), after.loss(), result.trainLoss(), seconds);

      assertThat(result.steps()).isEqualTo(10000 / 32 + 1);
      assertThat(result.samples()).isEqualTo(10000);
      assertThat(after.samples()).isEqualTo(2000);
      assertThat(after.accuracy()).isGreaterThan(0.75);
      assertThat(after.loss()).isLessThan(before.loss());
      assertThat(result.trainLoss()).isLessThan(1.0);
      assertThat(model.weights()).isDeepEqualTo(result.weights());
    }
  }

  @Test
  @DisplayName("the CNN learns from a small subsample")
  void cnnLearns() {
    try (LocalModel model = LocalModel.create(Architecture.CNN, 4)) {
      model.setWeights(ModelSpecs.initialWeights("cnn", 4));
      TrainResult result = model.train(train.head(3000), new TrainingOptions(1, 32, 0.01f, 0.9f, 0, 5));
      Evaluation after = model.evaluate(test.head(1000), 500);
      System.out.printf("CNN: accuracy %.3f, train loss %.3f%n", after.accuracy(), result.trainLoss());
      assertThat(after.accuracy()).isGreaterThan(0.6);
    }
  }

  @Test
  @DisplayName("a FedProx term keeps the trained weights closer to the starting weights, the more so the larger mu")
  void proximalTermPullsTowardsAnchor() {
    ImageDataset small = train.head(1000);
    double[] drift = new double[3];
    float[] mus = {0, 0.5f, 5f};
    try (LocalModel model = LocalModel.create(Architecture.MLP, 6)) {
      float[][] start = model.weights();
      for (int i = 0; i < mus.length; i++) {
        model.setWeights(start);
        TrainResult result = model.train(small, new TrainingOptions(2, 32, 0.05f, 0.5f, mus[i], 8));
        drift[i] = distance(result.weights(), start);
      }
    }
    assertThat(drift[1]).isLessThan(drift[0]);
    assertThat(drift[2]).isLessThan(drift[1] * 0.8);
  }

  @Test
  @DisplayName("the same seed and starting weights give the same trained weights")
  void deterministic() {
    ImageDataset small = train.head(500);
    try (LocalModel model = LocalModel.create(Architecture.MLP, 6)) {
      float[][] start = model.weights();
      float[][] first = model.train(small, new TrainingOptions(1, 50, 0.05f, 0.9f, 0, 8)).weights();
      model.setWeights(start);
      float[][] second = model.train(small, new TrainingOptions(1, 50, 0.05f, 0.9f, 0, 8)).weights();
      assertThat(distance(first, second)).isLessThan(1e-4);
      assertThat(distance(first, start)).isGreaterThan(0.1);
    }
  }
}
