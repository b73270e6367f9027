package dev.flotilla.party.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.party.data.Task;
import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The resnet20 built-in: its layout, its DJL block, and its PyTorch twin in examples/pytorch/flotilla_models.py. */
@RequiresRealServers({RealServer.FASHION_MNIST, RealServer.PYTORCH})
class Resnet20IT {
  static final Path MODELS = Path.of("..", "examples", "pytorch").toAbsolutePath().normalize();

  @TempDir Path dir;

  /** Fashion-MNIST images as 3x32x32 colour images: padded by 2 pixels, the grey value in every channel. */
  static FloatSamples colour(ImageDataset images) {
    float[][] features = new float[images.size()][];
    float[] labels = new float[images.size()];
    float[] grey = new float[28 * 28];
    for (int i = 0; i < images.size(); i++) {
      images.copyFeatures(i, grey, 0);
      float[] rgb = new float[3 * 32 * 32];
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < 28; y++) {
          System.arraycopy(grey, y * 28, rgb, c * 1024 + (y + 2) * 32 + 2, 28);
        }
      }
      features[i] = rgb;
      labels[i] = images.classOf(i);
    }
    return new FloatSamples(features, labels, Task.classification(10));
  }

  @Test
  @DisplayName("resnet20 has ~0.27M trained values, a 3x32x32 input and BatchNorm buffers with an I64 scalar counter")
  void layout() {
    List<TensorSpec> layout = ModelSpecs.forName("resnet20");
    long trained = layout.stream().filter(t -> !t.name().contains("running_") && !t.dtype().isInteger())
        .mapToLong(TensorSpec::elementCount).sum();
    assertThat(trained).isEqualTo(272_474);
    assertThat(layout).hasSize(128);
    assertThat(layout).contains(new TensorSpec("layer2.0.downsample.1.num_batches_tracked", new long[] {}, DType.I64));
    assertThat(ModelSpecs.inputShape("resnet20")).containsExactly(3, 32, 32);
    float[][] initial = ModelSpecs.initialWeights("resnet20", 1);
    assertThat(initial[1]).containsOnly(1f); // bn1.weight
    assertThat(initial[4]).containsOnly(1f); // bn1.running_var
    assertThat(initial[5]).containsExactly(0f); // bn1.num_batches_tracked
  }

  @Test
  @DisplayName("a resnet20 trained a step by DJL, written as safetensors, loads into the PyTorch ResNet20 with strict=True and gives the same logits")
  void djlAndPyTorchAgree() throws Exception {
    List<TensorSpec> layout = ModelSpecs.forName("resnet20");
    FloatSamples images = colour(FashionMnist.train(RealServer.fashionMnistDirectory()).head(64));
    float[][] trained;
    float[][] djlLogits;
    try (LocalModel model = LocalModel.create(Architecture.forName("resnet20"), layout, 3)) {
      List<String> djlNames = model.parameterNamesByTensor();
      for (int t = 0; t < layout.size(); t++) {
        assertThat(djlNames.get(t) == null).as(layout.get(t).name()).isEqualTo(layout.get(t).dtype().isInteger());
      }
      float[][] start = ModelSpecs.initialWeights("resnet20", 3);
      Safetensors.write(dir.resolve("start.safetensors"), layout, start, Map.of());
      model.setWeights(start);
      TrainResult result = model.train(images.head(32), new TrainingOptions(1, 32, 0.05f, 0.9f, 0, 1));
      assertThat(result.steps()).isEqualTo(1);
      trained = result.weights();
      assertThat(trained[3]).as("bn1.running_mean moved with the batch").isNotEqualTo(start[3]);
      assertThat(trained[0]).as("conv1.weight trained").isNotEqualTo(start[0]);
      assertThat(trained[5]).as("bn1.num_batches_tracked as it came in").containsExactly(0f);
      djlLogits = model.predict(images, 16);
    }
    Path weights = dir.resolve("resnet20.safetensors");
    Safetensors.write(weights, layout, trained, Map.of(Safetensors.MODEL_KEY, "resnet20"));
    Path inputs = dir.resolve("inputs.safetensors");
    float[] x = new float[images.size() * 3 * 32 * 32];
    for (int i = 0; i < images.size(); i++) {
      images.copyFeatures(i, x, i * 3 * 32 * 32);
    }
    Safetensors.write(inputs, List.of(new TensorSpec("x", new long[] {images.size(), 3, 32, 32})), new float[][] {x},
        Map.of());
    Path script = dir.resolve("resnet20_logits.py");
    try (InputStream in = getClass().getResourceAsStream("resnet20_logits.py")) {
      Files.copy(in, script);
    }
    Path logits = dir.resolve("logits.safetensors");
    Process python = new ProcessBuilder("/usr/bin/python3", script.toString(), MODELS.toString(), weights.toString(),
        inputs.toString(), logits.toString(), dir.resolve("start.safetensors").toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String stdout = new String(python.getInputStream().readAllBytes());
    assertThat(python.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(python.exitValue()).as(stdout).isZero();

    List<TensorSpec> pytorchLayout = new ArrayList<>();
    String[] lines = stdout.strip().split("\n");
    double runningStatsDifference = Double.parseDouble(lines[1]);
    System.out.printf("resnet20: BatchNorm running statistics after one step, DJL vs PyTorch: %.2e%n",
        runningStatsDifference);
    assertThat(runningStatsDifference).as("DJL's BatchNorm momentum 0.9 is PyTorch's 0.1").isLessThan(1e-4);
    for (JsonElement entry : JsonParser.parseString(lines[0]).getAsJsonArray()) {
      JsonArray e = entry.getAsJsonArray();
      long[] shape = new long[e.get(1).getAsJsonArray().size()];
      for (int d = 0; d < shape.length; d++) {
        shape[d] = e.get(1).getAsJsonArray().get(d).getAsLong();
      }
      pytorchLayout.add(new TensorSpec(e.get(0).getAsString(), shape,
          e.get(2).getAsString().equals("torch.int64") ? DType.I64 : DType.F32));
    }
    assertThat(pytorchLayout).as("PyTorch's state_dict is the ModelSpecs layout").isEqualTo(layout);

    float[] pytorchLogits = Safetensors.read(logits).values()[0];
    assertThat(pytorchLogits).hasSize(images.size() * 10);
    double maxDifference = 0;
    for (int i = 0; i < images.size(); i++) {
      for (int c = 0; c < 10; c++) {
        maxDifference = Math.max(maxDifference, Math.abs(djlLogits[i][c] - pytorchLogits[i * 10 + c]));
      }
    }
    System.out.printf("resnet20: largest logit difference DJL vs PyTorch over %d images: %.2e%n", images.size(),
        maxDifference);
    assertThat(maxDifference).isLessThan(1e-4);
  }

  @Test
  @DisplayName("resnet20 in DJL learns: one epoch on 2000 images (Fashion-MNIST as 3x32x32) beats 0.4 on 500 held-out ones (chance: 0.1)")
  void learns() {
    FloatSamples train = colour(FashionMnist.train(RealServer.fashionMnistDirectory()).head(2000));
    FloatSamples test = colour(FashionMnist.test(RealServer.fashionMnistDirectory()).head(500));
    try (LocalModel model = LocalModel.create(Architecture.forName("resnet20"), 7)) {
      model.setWeights(ModelSpecs.initialWeights("resnet20", 7));
      long started = System.nanoTime();
      // lr 0.02: at 0.05 with momentum 0.9 the weights outrun BatchNorm's running statistics within one short
      // epoch (train loss 1.45, held-out loss 4.9, accuracy 0.26 on this machine), so the test measured that lag
      // rather than learning; 0.02 gives 0.64 (0.01: 0.66)
      TrainResult result = model.train(train, new TrainingOptions(1, 32, 0.02f, 0.9f, 0, 7));
      double seconds = (System.nanoTime() - started) / 1e9;
      Evaluation after = model.evaluate(test, 250);
      System.out.printf("resnet20: 1 epoch on 2000 images in %.1f s (%.0f samples/s), train loss %.3f, %s%n",
          seconds, 2000 / seconds, result.trainLoss(), after.describe());
      assertThat(after.metrics().get("accuracy")).isGreaterThan(0.4);
      assertThat(result.trainLoss()).isLessThan(2.0);
    }
  }
}
