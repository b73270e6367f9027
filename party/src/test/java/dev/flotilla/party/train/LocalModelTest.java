package dev.flotilla.party.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.protocol.model.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

  static LocalModel model(String name, long seed) {
    return LocalModel.create(Architecture.forName(name), seed);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mlp", "cnn", "mlp:30-64-2", "mlp:13-1", "mlp:4-8-8-8-3"})
  @DisplayName("the DJL parameters come out in the order and shapes of the wire layout (ModelSpecs)")
  void layoutMatchesWire(String name) {
    try (LocalModel model = model(name, 1)) {
      List<TensorSpec> wire = ModelSpecs.forName(name);
      assertThat(model.parameterShapes()).hasSameSizeAs(wire);
      for (int i = 0; i < wire.size(); i++) {
        assertThat(model.parameterShapes().get(i)).as(wire.get(i).name()).containsExactly(wire.get(i).shape());
      }
      model.setWeights(ModelSpecs.initialWeights(name, 9));
      assertThat(model.weights()).isDeepEqualTo(ModelSpecs.initialWeights(name, 9));
      assertThat(model.outputUnits()).isEqualTo((int) wire.get(wire.size() - 1).shape()[0]);
    }
  }

  @Test
  @DisplayName("DJL names the parameters after their layers, in wire order")
  void parameterNames() {
    try (LocalModel model = model("mlp", 1)) {
      assertThat(model.parameterNames()).containsExactly("01Linear_weight", "01Linear_bias", "03Linear_weight",
          "03Linear_bias", "05Linear_weight", "05Linear_bias");
    }
    try (LocalModel model = model("cnn", 1)) {
      assertThat(model.parameterNames()).containsExactly("01Conv2d_weight", "01Conv2d_bias", "04Conv2d_weight",
          "04Conv2d_bias", "08Linear_weight", "08Linear_bias", "10Linear_weight", "10Linear_bias",
          "12Linear_weight", "12Linear_bias");
    }
  }

  @Test
  @DisplayName("weights set from float[][] come back bit for bit, for both models")
  void weightsRoundTrip() {
    for (String name : List.of("mlp", "cnn")) {
      try (LocalModel model = model(name, 2)) {
        float[][] weights = randomWeights(model, 3);
        model.setWeights(weights);
        assertThat(model.weights()).isDeepEqualTo(weights);
      }
    }
  }

  @Test
  @DisplayName("weights of the wrong count or size are refused naming the tensor")
  void wrongWeightsRefused() {
    try (LocalModel model = model("mlp", 2)) {
      float[][] weights = randomWeights(model, 3);
      assertThatThrownBy(() -> model.setWeights(new float[][] {weights[0]})).hasMessageContaining("6 tensors");
      weights[2] = new float[5];
      assertThatThrownBy(() -> model.setWeights(weights)).hasMessageContaining("tensor 2")
          .hasMessageContaining("fc2.weight").hasMessageContaining("40000");
    }
  }

  @Test
  @DisplayName("a layout that does not fit the block is refused naming the tensor and the DJL parameter")
  void layoutMismatchRefused() {
    List<TensorSpec> wrong = new ArrayList<>(ModelSpecs.forName("mlp:30-64-2"));
    wrong.set(2, new TensorSpec("fc2.weight", new long[] {64, 2}));
    assertThatThrownBy(() -> LocalModel.create(Architecture.forName("mlp:30-64-2"), wrong, 1))
        .hasMessageContaining("fc2.weight[64, 2]").hasMessageContaining("03Linear_weight [2, 64]");
    List<TensorSpec> extra = new ArrayList<>(ModelSpecs.forName("mlp:30-64-2"));
    extra.add(new TensorSpec("fc3.bias", new long[] {2}));
    assertThatThrownBy(() -> LocalModel.create(Architecture.forName("mlp:30-64-2"), extra, 1))
        .hasMessageContaining("fc3.bias").hasMessageContaining("no DJL parameter");
    List<TensorSpec> missing = ModelSpecs.forName("mlp:30-64-2").subList(0, 3);
    assertThatThrownBy(() -> LocalModel.create(Architecture.forName("mlp:30-64-2"), missing, 1))
        .hasMessageContaining("03Linear_bias has no tensor in the layout");
  }

  @Test
  @DisplayName("an integer tensor of the layout has no DJL parameter and goes back exactly as it came in")
  void integerTensorKept() {
    List<TensorSpec> layout = new ArrayList<>(ModelSpecs.forName("mlp"));
    layout.add(2, new TensorSpec("steps", new long[] {}, DType.I64));
    try (LocalModel model = LocalModel.create(Architecture.forName("mlp"), layout, 3)) {
      float[][] start = new float[layout.size()][];
      float[][] mlp = ModelSpecs.initialWeights("mlp", 3);
      for (int t = 0, m = 0; t < layout.size(); t++) {
        start[t] = t == 2 ? new float[] {17} : mlp[m++];
      }
      model.setWeights(start);
      assertThat(model.parameterNamesByTensor().get(2)).isNull();
      TrainResult result = model.train(train.head(200), new TrainingOptions(1, 50, 0.05f, 0.9f, 0, 1));
      assertThat(result.weights().length).isEqualTo(7);
      assertThat(result.weights()[2]).containsExactly(17f);
      assertThat(result.weights()[3]).isNotEqualTo(start[3]);
    }
  }

  @Test
  @DisplayName("SCAFFOLD's correction is added to every gradient: one plain SGD step moves each weight by -lr x correction more")
  void correctionAddsToGradient() {
    try (LocalModel model = LocalModel.create(Architecture.forName("mlp"), 3)) {
      float[][] start = ModelSpecs.initialWeights("mlp", 3);
      float[][] correction = new float[start.length][];
      for (int t = 0; t < start.length; t++) {
        correction[t] = new float[start[t].length];
        java.util.Arrays.fill(correction[t], t % 2 == 0 ? 0.5f : -2f);
      }
      TrainingOptions oneStep = new TrainingOptions(1, 50, 0.1f, 0, 0, 1); // 50 samples, batch 50: one step
      model.setWeights(start);
      float[][] plain = model.train(train.head(50), oneStep).weights();
      model.setWeights(start);
      float[][] corrected = model.train(train.head(50), oneStep.withCorrection(correction)).weights();
      for (int t = 0; t < start.length; t++) {
        for (int i = 0; i < start[t].length; i++) {
          assertThat(corrected[t][i] - plain[t][i]).as("tensor %d element %d", t, i)
              .isCloseTo(-0.1f * correction[t][i], org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
    }
  }

  @Test
  @DisplayName("data whose features do not fit the model, or with more classes than outputs, is refused")
  void dataMustFitModel() throws Exception {
    try (LocalModel model = model("mlp:30-64-2", 1)) {
      assertThatThrownBy(() -> model.evaluate(test.head(10), 10))
          .hasMessageContaining("takes 30 features per sample [30], the data has 784 [1, 28, 28]");
    }
    try (LocalModel model = model("mlp:784-16-5", 1)) {
      assertThatThrownBy(() -> model.train(train.head(100), new TrainingOptions(1, 10, 0.01f, 0, 0, 1)))
          .hasMessageContaining("5 outputs, the data has 10 classes");
    }
    try (LocalModel model = model("mlp:10-8-2", 1)) {
      assertThatThrownBy(() -> model.evaluate(FloatSamples.diabetes(), 10))
          .hasMessageContaining("one output unit");
    }
  }

  @Test
  @DisplayName("regression: an mlp:10-32-1 trained with MSE on 342 diabetes patients explains > 30% of the variance of 100 others")
  void regressionLearns() throws Exception {
    FloatSamples diabetes = FloatSamples.diabetes();
    int[] trainRows = java.util.stream.IntStream.range(0, 342).toArray();
    int[] testRows = java.util.stream.IntStream.range(342, 442).toArray();
    try (LocalModel model = model("mlp:10-32-1", 5)) {
      model.setWeights(ModelSpecs.initialWeights("mlp:10-32-1", 5));
      Evaluation before = model.evaluate(diabetes.subset(testRows), 64);
      TrainResult result = model.train(diabetes.subset(trainRows), new TrainingOptions(30, 16, 0.01f, 0.9f, 0, 5));
      Evaluation after = model.evaluate(diabetes.subset(testRows), 64);
      System.out.printf("diabetes: before %s, after %s, train loss %.3f%n", before.describe(), after.describe(),
          result.trainLoss());
      assertThat(after.metrics()).containsOnlyKeys("loss", "r2");
      assertThat(after.metrics().get("r2")).isGreaterThan(0.3);
      assertThat(after.loss()).isLessThan(before.loss());
      // targets are standardised, so an MSE of 1 - R2 (about) is the check that loss is MSE, not half of it
      assertThat(after.loss()).isBetween(0.3, 0.8);
      assertThat(result.trainLoss()).isLessThan(0.7);
    }
  }

  @Test
  @DisplayName("R2 is 1 - SSE/SST, and as scikit-learn's for constant labels")
  void r2() {
    assertThat(LocalModel.r2(25, 100)).isEqualTo(0.75);
    assertThat(LocalModel.r2(200, 100)).isEqualTo(-1);
    assertThat(LocalModel.r2(0, 0)).isEqualTo(1);
    assertThat(LocalModel.r2(3, 0)).isEqualTo(0);
  }

  @Test
  @DisplayName("one epoch of centralized MLP training on 10000 samples reaches > 0.75 accuracy on held-out test data")
  void mlpLearns() {
    try (LocalModel model = model("mlp", 4)) {
      model.setWeights(ModelSpecs.initialWeights("mlp", 4));
      Evaluation before = model.evaluate(test, 500);
      long start = System.nanoTime();
      TrainResult result = model.train(train, new TrainingOptions(1, 32, 0.01f, 0.9f, 0, 5));
      double seconds = (System.nanoTime() - start) / 1e9;
      Evaluation after = model.evaluate(test, 500);
      System.out.printf("MLP: before %.3f after %.3f (loss %.3f, train loss %.3f) in %.1fs%n",
          before.metrics().get("accuracy"), after.metrics().get("accuracy"), after.loss(), result.trainLoss(), seconds);

      assertThat(result.steps()).isEqualTo(10000 / 32 + 1);
      assertThat(result.samples()).isEqualTo(10000);
      assertThat(after.samples()).isEqualTo(2000);
      assertThat(after.metrics().get("accuracy")).isGreaterThan(0.75);
      assertThat(after.loss()).isLessThan(before.loss());
      assertThat(result.trainLoss()).isLessThan(1.0);
      assertThat(model.weights()).isDeepEqualTo(result.weights());
    }
  }

  @Test
  @DisplayName("the CNN learns from a small subsample")
  void cnnLearns() {
    try (LocalModel model = model("cnn", 4)) {
      model.setWeights(ModelSpecs.initialWeights("cnn", 4));
      TrainResult result = model.train(train.head(3000), new TrainingOptions(1, 32, 0.01f, 0.9f, 0, 5));
      Evaluation after = model.evaluate(test.head(1000), 500);
      System.out.printf("CNN: accuracy %.3f, train loss %.3f%n", after.metrics().get("accuracy"), result.trainLoss());
      assertThat(after.metrics().get("accuracy")).isGreaterThan(0.6);
    }
  }

  @Test
  @DisplayName("a FedProx term keeps the trained weights closer to the starting weights, the more so the larger mu")
  void proximalTermPullsTowardsAnchor() {
    ImageDataset small = train.head(1000);
    double[] drift = new double[3];
    float[] mus = {0, 0.5f, 5f};
    try (LocalModel model = model("mlp", 6)) {
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
    try (LocalModel model = model("mlp", 6)) {
      float[][] start = model.weights();
      float[][] first = model.train(small, new TrainingOptions(1, 50, 0.05f, 0.9f, 0, 8)).weights();
      model.setWeights(start);
      float[][] second = model.train(small, new TrainingOptions(1, 50, 0.05f, 0.9f, 0, 8)).weights();
      assertThat(distance(first, second)).isLessThan(1e-4);
      assertThat(distance(first, start)).isGreaterThan(0.1);
    }
  }
}
