package dev.flotilla.bench.quality;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The plain PyTorch FedAvg of {@code bench/python/fedavg_reference.py}, run on a partition file. */
final class PyTorchReference {
  private final Path python;
  private final Path scripts;

  /**
   * @param python the interpreter with torch ({@code /usr/bin/python3}: Debian's python3-torch)
   * @param scripts the directory of the benchmark's Python scripts ({@code bench/python})
   */
  PyTorchReference(Path python, Path scripts) {
    this.python = python;
    this.scripts = scripts;
  }

  Path script(String name) {
    Path script = scripts.resolve(name);
    if (!Files.isRegularFile(script)) {
      throw new IllegalStateException(script + " not found; run from the repository root or pass --flotilla-home");
    }
    return script;
  }

  Path python() {
    return python;
  }

  /** Runs every round of FedAvg with {@code threads} torch threads; the result JSON goes to {@code out}. */
  Curve run(Recipe recipe, Path partitionFile, Path initialModel, int threads, Path out) {
    List<String> command = List.of(python.toString(), script("fedavg_reference.py").toString(),
        "--data", recipe.data().toString(),
        "--partition-file", partitionFile.toString(),
        "--initial-model", initialModel.toString(),
        "--rounds", Integer.toString(recipe.rounds()),
        "--local-epochs", Integer.toString(recipe.localEpochs()),
        "--batch-size", Integer.toString(recipe.batchSize()),
        "--lr", Double.toString(recipe.learningRate()),
        "--momentum", Double.toString(recipe.momentum()),
        "--seed", Long.toString(recipe.seed()),
        "--threads", Integer.toString(threads),
        "--out", out.toString());
    ChildProcesses.run(command, ChildProcesses.torchThreads(threads), Duration.ofHours(2));
    return curveOf(out);
  }

  /** The per-round accuracy in a result file of fedavg_reference.py. */
  static Curve curveOf(Path resultFile) {
    JsonObject result;
    try {
      result = JsonParser.parseString(Files.readString(resultFile, StandardCharsets.UTF_8)).getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the reference's result " + resultFile, e);
    }
    List<Double> accuracy = new ArrayList<>();
    for (JsonElement round : result.getAsJsonArray("rounds")) {
      JsonObject r = round.getAsJsonObject();
      if (r.get("round").getAsInt() != accuracy.size()) {
        throw new IllegalStateException(resultFile + ": rounds out of order at " + r);
      }
      accuracy.add(r.get("accuracy").getAsDouble());
    }
    return new Curve("PyTorch " + result.get("torch").getAsString(), accuracy);
  }
}
