package dev.flotilla.bench.quality;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.flotilla.common.logging.LogSettings;
import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.party.train.Architecture;
import dev.flotilla.party.train.LocalModel;
import dev.flotilla.party.train.PyTorchEngine;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.ModelSpecs;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.event.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * Training speed of one Flotilla party: the party's own trainer ({@link LocalModel}, DJL on PyTorch) on
 * the first {@code --samples} training images, as a party trains in a round (batch, SGD with momentum,
 * samples visited in a seeded order). The thread count is the party's: {@code FLOTILLA_TORCH_THREADS} in
 * the environment. Run in a JVM of its own, since PyTorch's thread count is fixed when the engine starts;
 * prints one JSON object, the peer of {@code bench/python/training_speed.py}.
 */
@Command(name = "training-speed", mixinStandardHelpOptions = true,
    description = "Samples per second of a Flotilla party's local training (DJL), warmed up.")
public final class TrainingSpeed implements Callable<Integer> {

  @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist", description = "Fashion-MNIST idx directory (default ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--model", defaultValue = "cnn", description = "Built-in model (default ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--samples", defaultValue = "6000", description = "Training images, the first of the set (default ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--batch-size", defaultValue = "64", description = "Samples per SGD step (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--lr", defaultValue = "0.01", description = "Learning rate (default ${DEFAULT-VALUE}).")
  float learningRate;

  @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE}).")
  float momentum;

  @Option(names = "--warm-up-epochs", defaultValue = "1", description = "Epochs not measured (default ${DEFAULT-VALUE}).")
  int warmUpEpochs;

  @Option(names = "--epochs", defaultValue = "3", description = "Measured epochs (default ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the initial model and the sample order (default ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() {
    ImageDataset train = FashionMnist.train(data).head(samples);
    try (LocalModel local = LocalModel.create(Architecture.forName(model), seed)) {
      local.setWeights(ModelSpecs.initialWeights(model, seed));
      for (int epoch = 0; epoch < warmUpEpochs; epoch++) {
        local.train(train, options(seed + epoch));
      }
      JsonArray seconds = new JsonArray();
      double total = 0;
      for (int epoch = 0; epoch < epochs; epoch++) {
        long started = System.nanoTime();
        local.train(train, options(seed + 1000 + epoch));
        double s = (System.nanoTime() - started) / 1e9;
        seconds.add(s);
        total += s;
      }
      JsonObject result = new JsonObject();
      result.addProperty("engine", "DJL " + ai.djl.engine.Engine.getDjlVersion() + ", PyTorch "
          + PyTorchEngine.get().getVersion() + " (Flotilla party)");
      String threads = System.getenv(PyTorchEngine.THREADS_ENV);
      result.addProperty("threads", threads == null ? "default" : threads);
      result.addProperty("samples", train.size());
      result.addProperty("batch_size", batchSize);
      result.add("epoch_seconds", seconds);
      result.addProperty("samples_per_second", train.size() * (double) epochs / total);
      System.out.println(result);
    }
    return 0;
  }

  private TrainingOptions options(long shuffleSeed) {
    return new TrainingOptions(1, batchSize, learningRate, momentum, 0f, shuffleSeed);
  }

  public static void main(String[] args) {
    LogSettings.levelUnlessSet("ai.djl", Level.WARN);
    System.exit(new CommandLine(new TrainingSpeed()).execute(args));
  }
}
