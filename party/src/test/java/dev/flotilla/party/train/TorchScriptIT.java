package dev.flotilla.party.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** TorchScript modules exported by PyTorch 1.13 (Debian's python3-torch), trained in DJL 0.36 on PyTorch 2.7.1. */
@RequiresRealServers({RealServer.FASHION_MNIST, RealServer.PYTORCH})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TorchScriptIT {
  static final List<TensorSpec> BN_LAYOUT = List.of(
      new TensorSpec("conv1.weight", new long[] {6, 1, 5, 5}),
      new TensorSpec("conv1.bias", new long[] {6}),
      new TensorSpec("bn1.weight", new long[] {6}),
      new TensorSpec("bn1.bias", new long[] {6}),
      new TensorSpec("bn1.running_mean", new long[] {6}),
      new TensorSpec("bn1.running_var", new long[] {6}),
      new TensorSpec("bn1.num_batches_tracked", new long[] {}, DType.I64),
      new TensorSpec("fc.weight", new long[] {10, 864}),
      new TensorSpec("fc.bias", new long[] {10}));

  @TempDir static Path dir;
  ImageDataset train;
  ImageDataset test;

  @BeforeAll
  void export() throws Exception {
    Path script = dir.resolve("export_torchscript.py");
    try (InputStream in = getClass().getResourceAsStream("export_torchscript.py")) {
      Files.copy(in, script);
    }
    exportModules(script, dir);
    train = FashionMnist.train(RealServer.fashionMnistDirectory()).head(3000);
    test = FashionMnist.test(RealServer.fashionMnistDirectory()).head(1000);
  }

  /** Runs the export script with Debian's python3 and torch 1.13. */
  static void exportModules(Path script, Path out) throws IOException, InterruptedException {
    Process python = new ProcessBuilder("/usr/bin/python3", script.toString(), out.toString())
        .redirectErrorStream(true).start();
    String output = new String(python.getInputStream().readAllBytes());
    assertThat(python.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(python.exitValue()).as(output).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mlp_script.pt", "mlp_trace.pt"})
  @DisplayName("a scripted or traced MLP maps by name onto the mlp layout, computes what the DJL built-in computes with the same weights, and learns")
  void mlpTrains(String file) {
    List<TensorSpec> layout = ModelSpecs.forName("mlp");
    float[][] start = ModelSpecs.initialWeights("mlp", 11);
    try (LocalModel module = LocalModel.loadTorchScript(dir.resolve(file), new long[] {1, 28, 28}, layout);
        LocalModel builtIn = LocalModel.create(Architecture.forName("mlp"), 11)) {
      assertThat(module.parameterNamesByTensor()).containsExactly("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
          "fc3.weight", "fc3.bias");
      assertThat(module.keptTensors()).isEmpty();
      module.setWeights(start);
      builtIn.setWeights(start);
      Evaluation viaTorchScript = module.evaluate(test, 500);
      Evaluation viaDjl = builtIn.evaluate(test, 500);
      assertThat(viaTorchScript.loss()).isCloseTo(viaDjl.loss(), org.assertj.core.data.Offset.offset(1e-5));
      assertThat(viaTorchScript.metrics().get("accuracy")).isEqualTo(viaDjl.metrics().get("accuracy"));

      long started = System.nanoTime();
      TrainResult result = module.train(train, new TrainingOptions(1, 32, 0.01f, 0.9f, 0, 5));
      double seconds = (System.nanoTime() - started) / 1e9;
      Evaluation after = module.evaluate(test, 500);
      long builtInStarted = System.nanoTime();
      builtIn.train(train, new TrainingOptions(1, 32, 0.01f, 0.9f, 0, 5));
      double builtInSeconds = (System.nanoTime() - builtInStarted) / 1e9;
      System.out.printf("%s: 1 epoch on 3000 samples in %.1f s (%.0f samples/s), the DJL built-in mlp after it "
              + "%.1f s (%.0f samples/s); accuracy %.3f -> %.3f%n", file, seconds, 3000 / seconds, builtInSeconds,
          3000 / builtInSeconds, viaTorchScript.metrics().get("accuracy"), after.metrics().get("accuracy"));
      assertThat(after.metrics().get("accuracy")).isGreaterThan(0.7);
      assertThat(result.weights()[0]).isNotEqualTo(start[0]);
      assertThat(module.weights()).isDeepEqualTo(result.weights());
    }
  }

  @Test
  @DisplayName("a BatchNorm module trains its parameters; its buffers, out of DJL's reach, go back unchanged")
  void batchNormBuffersKept() {
    float[][] start = new float[BN_LAYOUT.size()][];
    java.util.Random random = new java.util.Random(3);
    for (int t = 0; t < start.length; t++) {
      start[t] = new float[BN_LAYOUT.get(t).numElements()];
      for (int i = 0; i < start[t].length; i++) {
        start[t][i] = BN_LAYOUT.get(t).name().endsWith("running_var") ? 1 + random.nextFloat()
            : (float) random.nextGaussian() * 0.05f;
      }
    }
    start[6][0] = 12;
    try (LocalModel module = LocalModel.loadTorchScript(dir.resolve("bn_script.pt"), new long[] {1, 28, 28}, BN_LAYOUT)) {
      assertThat(module.keptTensors()).extracting(TensorSpec::name)
          .containsExactly("bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked");
      module.setWeights(start);
      TrainResult result = module.train(train, new TrainingOptions(1, 32, 0.01f, 0.9f, 0, 5));
      for (int t : new int[] {4, 5, 6}) {
        assertThat(result.weights()[t]).as(BN_LAYOUT.get(t).name()).isEqualTo(start[t]);
      }
      for (int t : new int[] {0, 2, 3, 7}) {
        assertThat(result.weights()[t]).as(BN_LAYOUT.get(t).name()).isNotEqualTo(start[t]);
      }
      assertThat(module.evaluate(test, 500).metrics().get("accuracy")).isGreaterThan(0.5);
    }
  }

  @Test
  @DisplayName("a module that does not fit the job's layout, or a file that is not TorchScript, is refused naming the problem")
  void misfitsRefused() throws IOException {
    assertThatThrownBy(() -> LocalModel.loadTorchScript(dir.resolve("wide_script.pt"), new long[] {1, 28, 28},
        ModelSpecs.forName("mlp")))
        .hasMessageContaining("parameter 'fc1.weight' is [100, 784] float, the job's model has [200, 784] F32");
    assertThatThrownBy(() -> LocalModel.loadTorchScript(dir.resolve("mlp_script.pt"), new long[] {1, 28, 28},
        ModelSpecs.forName("mlp").subList(0, 4)))
        .hasMessageContaining("parameter 'fc3.weight' is not in the job's model (4 tensors)");
    Path notTorchScript = dir.resolve("model.pt");
    Files.writeString(notTorchScript, "not a zip archive");
    assertThatThrownBy(() -> LocalModel.loadTorchScript(notTorchScript, new long[] {1, 28, 28}, ModelSpecs.forName("mlp")))
        .hasMessageContaining("cannot load " + notTorchScript + " as a TorchScript module");
  }
}
