package dev.flotilla.bench.quality;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples per second of one party's local training, Flotilla (DJL in the JVM) against the same model,
 * data, batch and optimiser in PyTorch/Python, with the same number of PyTorch threads; each side in a
 * process of its own, one after the other, warmed up.
 */
final class SpeedComparison {

  record Measurement(String engine, double samplesPerSecond) {}

  record Result(int threads, Measurement flotilla, Measurement pytorch) {
    double ratio() {
      return flotilla.samplesPerSecond() / pytorch.samplesPerSecond();
    }
  }

  private SpeedComparison() {}

  static Result measure(PyTorchReference reference, Recipe recipe, Path initialModel, int threads, int samples,
      int epochs) {
    List<String> common = List.of("--data", recipe.data().toString(), "--samples", Integer.toString(samples),
        "--batch-size", Integer.toString(recipe.batchSize()), "--lr", Double.toString(recipe.learningRate()),
        "--momentum", Double.toString(recipe.momentum()), "--epochs", Integer.toString(epochs),
        "--seed", Long.toString(recipe.seed()));
    List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), TrainingSpeed.class.getName(), "--model", recipe.model()));
    java.addAll(common);
    Measurement flotilla = parse(ChildProcesses.output(java, ChildProcesses.torchThreads(threads), Duration.ofMinutes(30)));
    List<String> python = new ArrayList<>(List.of(reference.python().toString(),
        reference.script("training_speed.py").toString(), "--initial-model", initialModel.toString(),
        "--threads", Integer.toString(threads)));
    python.addAll(common);
    Measurement pytorch = parse(ChildProcesses.output(python, ChildProcesses.torchThreads(threads), Duration.ofMinutes(30)));
    return new Result(threads, flotilla, pytorch);
  }

  /** The last line of a speed run's output: one JSON object. */
  static Measurement parse(String output) {
    String[] lines = output.strip().split("\n");
    JsonObject o = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
    return new Measurement(o.get("engine").getAsString(), o.get("samples_per_second").getAsDouble());
  }
}
