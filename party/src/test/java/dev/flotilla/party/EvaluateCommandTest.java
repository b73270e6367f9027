package dev.flotilla.party;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.party.train.Architecture;
import dev.flotilla.party.train.Evaluation;
import dev.flotilla.party.train.LocalModel;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

@RequiresRealServers(RealServer.FASHION_MNIST)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvaluateCommandTest {
  @TempDir static Path dir;
  Path modelFile;
  Evaluation expected;

  /** An mlp trained one epoch on 2000 samples, written with its name, and its evaluation on the whole test set. */
  @BeforeAll
  void trainAndExport() throws Exception {
    Path data = RealServer.fashionMnistDirectory();
    try (LocalModel model = LocalModel.create(Architecture.forName("mlp"), 1)) {
      model.setWeights(ModelSpecs.initialWeights("mlp", 1));
      model.train(FashionMnist.train(data).head(2000), new TrainingOptions(1, 32, 0.01f, 0.9f, 0, 2));
      modelFile = dir.resolve("final.safetensors");
      Safetensors.write(modelFile, ModelSpecs.forName("mlp"), model.weights(), Map.of(Safetensors.MODEL_KEY, "mlp"));
      ImageDataset test = FashionMnist.test(data);
      expected = model.evaluate(test, 1000);
    }
  }

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var commandLine = EvaluateCommand.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  @DisplayName("an exported model named by its metadata is evaluated on the data's test split, as the party evaluates it")
  void evaluatesExportedModel() {
    Run run = run("--model-file", modelFile.toString(), "--data", RealServer.fashionMnistDirectory().toString(), "--json");
    assertThat(run.exit()).as(run.err()).isZero();
    JsonObject result = JsonParser.parseString(run.out().strip()).getAsJsonObject();
    assertThat(result.get("model").getAsString()).isEqualTo("mlp");
    assertThat(result.get("samples").getAsInt()).isEqualTo(10000);
    JsonObject metrics = result.getAsJsonObject("metrics");
    assertThat(metrics.keySet()).containsExactlyInAnyOrder("loss", "accuracy");
    assertThat(metrics.get("accuracy").getAsDouble()).isEqualTo(expected.metrics().get("accuracy"));
    assertThat(metrics.get("loss").getAsDouble()).isCloseTo(expected.loss(), org.assertj.core.data.Offset.offset(1e-6));
    assertThat(metrics.get("accuracy").getAsDouble()).isGreaterThan(0.65);

    Run text = run("--model-file", modelFile.toString(), "--data", RealServer.fashionMnistDirectory().toString(),
        "--eval-samples", "500");
    assertThat(text.exit()).as(text.err()).isZero();
    assertThat(text.out()).startsWith(modelFile + " (mlp): accuracy ").contains(" on 500 samples of ");
  }

  @Test
  @DisplayName("a model file that does not fit the named architecture, or names none, exits 6 (bad input) saying why; a missing file 4")
  void misfitsRefused() throws Exception {
    Run cnn = run("--model-file", modelFile.toString(), "--model", "cnn", "--data",
        RealServer.fashionMnistDirectory().toString());
    assertThat(cnn.exit()).isEqualTo(6);
    assertThat(cnn.err()).contains("flotilla evaluate: model cnn: layout tensor 0 fc1.weight[200, 784] does not fit "
        + "DJL parameter 01Conv2d_weight [6, 1, 5, 5]");

    Path anonymous = dir.resolve("anonymous.safetensors");
    Safetensors.write(anonymous, ModelSpecs.forName("mlp"), ModelSpecs.initialWeights("mlp", 1), Map.of());
    Run unnamed = run("--model-file", anonymous.toString(), "--data", RealServer.fashionMnistDirectory().toString());
    assertThat(unnamed.exit()).isEqualTo(6);
    assertThat(unnamed.err()).contains("names no built-in model (no flotilla.model metadata); give --model NAME");

    Run missing = run("--model-file", dir.resolve("nope.safetensors").toString());
    assertThat(missing.exit()).isEqualTo(4);
    assertThat(missing.err()).contains("--model-file " + dir.resolve("nope.safetensors") + ": no such file");
  }
}
