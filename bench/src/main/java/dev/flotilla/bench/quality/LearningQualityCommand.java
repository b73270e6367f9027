package dev.flotilla.bench.quality;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.flotilla.common.logging.LogSettings;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slf4j.event.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code bench/learning-quality.sh}: Flotilla's FedAvg against a plain PyTorch FedAvg written for the
 * benchmark, on the same partitions, initial model, sample order and settings; per-round accuracy side by
 * side with the largest difference against a limit, and one party's training speed against PyTorch in
 * Python with the same threads.
 */
@Command(name = "learning-quality", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
      "For each --partitions scheme: writes the parties' split (as bin/flotilla partition) and the initial model, runs "
          + "the PyTorch reference (bench/python/fedavg_reference.py) and then a real Flotilla federation (aggregator "
          + "and --parties party processes over mutual TLS), and compares the global model's test accuracy after "
          + "every round. With --native-kernels (default) the reference runs a second time with PyTorch's native "
          + "convolution kernels (oneDNN off), the same computation with other rounding: how far apart the two "
          + "references end up is how far rounding alone moves the curve. Then measures one party's training speed (DJL) "
          + "against PyTorch in Python, both kernel choices, same threads.",
      "Exit code 0 when every curve is within --limit-points of the reference at every round, 1 otherwise."})
public final class LearningQualityCommand implements Callable<Integer> {

  @Option(names = "--partitions", split = ",", defaultValue = "dirichlet:0.5,labels:2",
      description = "Partition schemes, each run on both sides (default: ${DEFAULT-VALUE}).")
  List<String> partitions;

  @Option(names = "--parties", defaultValue = "10", description = "Parties (default: ${DEFAULT-VALUE}).")
  int parties;

  @Option(names = "--rounds", defaultValue = "10", description = "Rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--model", defaultValue = "cnn", description = "Built-in model (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--local-epochs", defaultValue = "1", description = "Local epochs per round (default: ${DEFAULT-VALUE}).")
  int localEpochs;

  @Option(names = "--batch-size", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--lr", defaultValue = "0.01", description = "SGD learning rate (default: ${DEFAULT-VALUE}, the party's).")
  double learningRate;

  @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}, the party's).")
  double momentum;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of split, initial model and sample order (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--limit-points", defaultValue = "1.0",
      description = "Largest accepted accuracy difference at equal rounds, in percentage points (default: ${DEFAULT-VALUE}).")
  double limitPoints;

  @Option(names = "--native-kernels", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Also run the reference with PyTorch's native convolution kernels (oneDNN off): the same computation "
          + "with other rounding, to show how far rounding alone moves the curve (default: ${DEFAULT-VALUE}).")
  boolean nativeKernels;

  @Option(names = "--speed-threads", split = ",", defaultValue = "1",
      description = "PyTorch thread counts of the training-speed comparison; empty to skip it (default: ${DEFAULT-VALUE}).")
  List<Integer> speedThreads;

  @Option(names = "--speed-samples", defaultValue = "6000", description = "Training images per speed epoch (default: ${DEFAULT-VALUE}).")
  int speedSamples;

  @Option(names = "--speed-epochs", defaultValue = "3", description = "Measured speed epochs, after one warm-up epoch (default: ${DEFAULT-VALUE}).")
  int speedEpochs;

  @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist", description = "Fashion-MNIST idx directory (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch and numpy (default: ${DEFAULT-VALUE}).")
  Path python;

  @Option(names = "--flotilla-home", description = "The checkout whose jars and bench/python are used (default: $FLOTILLA_HOME, else the current directory).")
  Path home;

  @Option(names = "--work", description = "Directory for partition files, results and federation logs (default: bench/target/learning-quality/<time>).")
  Path work;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = new PrintWriter(System.out, true);
    Path root = home != null ? home : Path.of(System.getenv().getOrDefault(FlotillaJars.HOME_VARIABLE, "."));
    root = root.toAbsolutePath().normalize();
    FlotillaJars jars = new FlotillaJars(root);
    jars.requirePresent("aggregator-server", "party");
    PyTorchReference reference = new PyTorchReference(python, root.resolve("bench").resolve("python"));
    Path directory = work != null ? work
        : root.resolve("bench/target/learning-quality").resolve(Instant.now().toString().replace(':', '-'));
    Files.createDirectories(directory);
    Recipe recipe = new Recipe(data.toAbsolutePath(), model, parties, rounds, localEpochs, batchSize, learningRate,
        momentum, seed);
    int threads = recipe.threadsPerParty();

    out.printf(Locale.ROOT, "learning quality: %s, %d parties, %d rounds x %d local epoch(s), batch %d, SGD lr %s momentum %s, "
            + "seed %d, %d PyTorch thread(s) per party; %s%n", model, parties, rounds, localEpochs, batchSize,
        learningRate, momentum, seed, threads, Machine.describe());
    out.printf(Locale.ROOT, "work directory %s%n", directory);
    Path initialModel = InitialModel.write(directory, model, seed);
    ImageDataset train = FashionMnist.train(recipe.data());

    List<PartitionRun> partitionRuns = new ArrayList<>();
    JsonArray runs = new JsonArray();
    for (String partition : partitions) {
      Path runDirectory = directory.resolve(partition.replace(':', '-'));
      Files.createDirectories(runDirectory);
      Path partitionFile = runDirectory.resolve("partition.json");
      PartitionFile.of(train, partition, parties, seed).writeTo(partitionFile);
      out.printf(Locale.ROOT, "%n== %s: PyTorch reference%n", partition);
      long started = System.nanoTime();
      Curve pytorch = reference.run(recipe, partitionFile, initialModel, threads, "default",
          runDirectory.resolve("reference.json"));
      double referenceSeconds = (System.nanoTime() - started) / 1e9;
      Curve pytorchNative = null;
      if (nativeKernels) {
        pytorchNative = reference.run(recipe, partitionFile, initialModel, threads, "native",
            runDirectory.resolve("reference-native-conv.json"));
      }
      out.printf(Locale.ROOT, "== %s: Flotilla federation (%d party processes over mutual TLS)%n", partition, parties);
      FlotillaFederation.Result flotilla = FlotillaFederation.run(jars, runDirectory.resolve("federation"), recipe,
          partition, initialModel, out);
      if (!flotilla.lateOrDropped().isEmpty()) {
        out.printf(Locale.ROOT, "WARNING: late or dropped parties %s: those rounds did not average every party%n",
            flotilla.lateOrDropped());
      }
      PartitionRun run = new PartitionRun(new Comparison(partition, flotilla.curve(), pytorch, limitPoints),
          pytorchNative == null ? null : new Comparison(partition, flotilla.curve(), pytorchNative, limitPoints));
      partitionRuns.add(run);
      runs.add(runJson(run, flotilla, referenceSeconds));
    }

    List<SpeedComparison.Result> speeds = new ArrayList<>();
    for (int n : speedThreads) {
      out.printf(Locale.ROOT, "%n== training speed, %d thread(s)%n", n);
      SpeedComparison.Result speed = SpeedComparison.measure(reference, recipe, initialModel, n, speedSamples, speedEpochs);
      out.printf(Locale.ROOT, "%s: %.0f samples/s; %s: %.0f samples/s; %s: %.0f samples/s%n", speed.flotilla().engine(),
          speed.flotilla().samplesPerSecond(), speed.pytorch().engine(), speed.pytorch().samplesPerSecond(),
          speed.pytorchNative().engine(), speed.pytorchNative().samplesPerSecond());
      speeds.add(speed);
    }

    String table = QualityTable.markdown(partitionRuns, speeds, model);
    out.println();
    out.print(table);
    out.printf(Locale.ROOT, "%n%s%n", Machine.describe());
    boolean within = partitionRuns.stream().allMatch(r -> r.reference().withinLimit());
    for (PartitionRun run : partitionRuns) {
      Comparison c = run.reference();
      out.printf(Locale.ROOT, "%s: max |Flotilla - PyTorch| over rounds 1-%d = %s (limit %.2f pt)%n", c.partition(),
          c.rounds(), QualityTable.verdict(c), limitPoints);
      if (run.nativeKernels() != null) {
        out.printf(Locale.ROOT, "%s: max |Flotilla - PyTorch, native conv| = %s pt; the two PyTorch runs, rounding "
                + "apart, differ by up to %s pt%n", c.partition(),
            QualityTable.points(run.nativeKernels().maxDifferencePoints()),
            QualityTable.points(run.referencesApart().maxDifferencePoints()));
      }
    }
    JsonObject result = new JsonObject();
    result.addProperty("date", Instant.now().toString());
    result.addProperty("machine", Machine.describe());
    result.add("runs", runs);
    JsonArray speedJson = new JsonArray();
    for (SpeedComparison.Result s : speeds) {
      JsonObject o = new JsonObject();
      o.addProperty("threads", s.threads());
      o.addProperty("flotilla_engine", s.flotilla().engine());
      o.addProperty("flotilla_samples_per_second", s.flotilla().samplesPerSecond());
      o.addProperty("pytorch_engine", s.pytorch().engine());
      o.addProperty("pytorch_samples_per_second", s.pytorch().samplesPerSecond());
      o.addProperty("pytorch_native_conv_engine", s.pytorchNative().engine());
      o.addProperty("pytorch_native_conv_samples_per_second", s.pytorchNative().samplesPerSecond());
      speedJson.add(o);
    }
    result.add("training_speed", speedJson);
    Files.writeString(directory.resolve("result.json"), new GsonBuilder().setPrettyPrinting().create().toJson(result) + "\n",
        StandardCharsets.UTF_8);
    Files.writeString(directory.resolve("table.md"), table, StandardCharsets.UTF_8);
    out.printf(Locale.ROOT, "results in %s (result.json, table.md)%n", directory);
    return within ? 0 : 1;
  }

  private static JsonObject runJson(PartitionRun run, FlotillaFederation.Result flotilla, double referenceSeconds) {
    Comparison c = run.reference();
    JsonObject o = new JsonObject();
    o.addProperty("partition", c.partition());
    o.add("flotilla_accuracy", doubles(c.flotilla().accuracy()));
    o.add("pytorch_accuracy", doubles(c.reference().accuracy()));
    o.addProperty("max_difference_points", c.maxDifferencePoints());
    o.addProperty("within_limit", c.withinLimit());
    if (run.nativeKernels() != null) {
      o.add("pytorch_native_conv_accuracy", doubles(run.nativeKernels().reference().accuracy()));
      o.addProperty("max_difference_to_native_conv_points", run.nativeKernels().maxDifferencePoints());
      o.addProperty("max_difference_between_references_points", run.referencesApart().maxDifferencePoints());
    }
    o.addProperty("flotilla_wall_seconds", flotilla.wallSeconds());
    o.add("flotilla_round_seconds", doubles(flotilla.roundSeconds()));
    o.addProperty("late_or_dropped", flotilla.lateOrDropped().toString());
    o.addProperty("pytorch_wall_seconds", referenceSeconds);
    return o;
  }

  private static JsonArray doubles(List<Double> values) {
    JsonArray array = new JsonArray();
    values.forEach(array::add);
    return array;
  }

  public static void main(String[] args) {
    LogSettings.levelUnlessSet("ai.djl", Level.WARN);
    CommandLine commandLine = new CommandLine(new LearningQualityCommand());
    commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
      cl.getErr().println("learning-quality: " + e.getMessage());
      return 2;
    });
    System.exit(commandLine.execute(args));
  }
}
