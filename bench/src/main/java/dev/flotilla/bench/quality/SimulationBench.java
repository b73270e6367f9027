package dev.flotilla.bench.quality;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/flotilla simulate} against a single-process PyTorch simulation of the same job
 * ({@code bench/python/fedavg_reference.py}: FedAvg over the same partition file, from the same initial
 * weights as safetensors, with the same SGD settings, the same per-party sample order, and the global
 * model evaluated on the whole test set every round), each as its own process timed from start to
 * end, in the same run; then the simulator's peak RSS with many virtual parties.
 */
@Command(name = "simulation", mixinStandardHelpOptions = true,
    description = {"Samples/s and accuracy of 'flotilla simulate' against a single-process PyTorch FedAvg of the same job",
        "(same partition, initial weights, hyper-parameters), and the simulator's peak RSS with --memory-parties."})
public final class SimulationBench implements Callable<Integer> {

  @Option(names = "--parties", defaultValue = "10", description = "Virtual parties (default ${DEFAULT-VALUE}).")
  int parties;

  // 10 rounds is the job (10 parties, 10 rounds x 1 epoch); with fewer, the JVM's and DJL's start-up in
  // round 1 outweighs the steady state that the ratio is about.
  @Option(names = "--rounds", defaultValue = "10", description = "Rounds (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--partition", defaultValue = "dirichlet:0.5", description = "Split (default ${DEFAULT-VALUE}).")
  String partition;

  @Option(names = "--local-epochs", defaultValue = "1", description = "Local epochs (default ${DEFAULT-VALUE}).")
  int localEpochs;

  @Option(names = "--batch-size", defaultValue = "64", description = "Batch size (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--lr", defaultValue = "0.01", description = "SGD learning rate (default ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default ${DEFAULT-VALUE}).")
  double momentum;

  @Option(names = "--weight-decay", defaultValue = "1e-5", description = "SGD weight decay (default ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of split, initial model and sample order (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--memory-parties", defaultValue = "100",
      description = "Virtual parties of the memory run (1 round, iid); 0 skips it (default ${DEFAULT-VALUE}).")
  int memoryParties;

  @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist", description = "Fashion-MNIST idx files.")
  Path data;

  @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch (Debian's python3-torch).")
  Path python;

  @Option(names = "--flotilla-home", description = "The checkout whose simulator jar and bench/python are used "
      + "(default: $FLOTILLA_HOME, else the current directory).")
  Path home;

  /** One process's run: its wall time and, per round, the central accuracy. */
  record Run(String name, double wallSeconds, long samples, List<Double> accuracy) {
    double samplesPerSecond() {
      return samples / wallSeconds;
    }
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = new PrintWriter(System.out, true);
    Path root = (home != null ? home : Path.of(System.getenv().getOrDefault(FlotillaJars.HOME_VARIABLE, ".")))
        .toAbsolutePath().normalize();
    Path jar = root.resolve("simulator/target/simulator.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " not found: build it (mvn -pl simulator -am package -DskipTests)");
    }
    PyTorchReference reference = new PyTorchReference(python, root.resolve("bench/python"));
    Path work = Files.createDirectories(root.resolve("bench/target/simulation")
        .resolve(Instant.now().toString().replace(':', '-')));
    int threads = Runtime.getRuntime().availableProcessors();
    out.printf(Locale.ROOT, "simulation vs PyTorch: cnn, %d parties, %s, %d rounds x %d local epoch(s), batch %d, "
            + "SGD lr %s momentum %s weight decay %s, seed %d; %s%n", parties, partition, rounds, localEpochs, batchSize,
        learningRate, momentum, weightDecay, seed, Machine.describe());

    ImageDataset train = FashionMnist.train(data);
    PartitionFile split = PartitionFile.of(train, partition, parties, seed);
    Path partitionFile = work.resolve("partition.json");
    split.writeTo(partitionFile);
    Path initialModel = InitialModel.write(work, "cnn", seed);
    long samples = (long) rounds * localEpochs * train.size();

    Path report = work.resolve("simulator.json");
    Run simulator = timed("flotilla simulate", samples, () -> ChildProcesses.run(simulatorCommand(jar, parties, rounds,
        partition, report), Map.of(), Duration.ofHours(2)), () -> accuracies(report, "accuracy_per_round", false));
    requireSamePartition(report, split);
    Path result = work.resolve("pytorch.json");
    List<String> pytorch = List.of(python.toString(), reference.script("fedavg_reference.py").toString(),
        "--data", data.toString(), "--partition-file", partitionFile.toString(),
        "--initial-model", initialModel.toString(), "--rounds", Integer.toString(rounds),
        "--local-epochs", Integer.toString(localEpochs), "--batch-size", Integer.toString(batchSize),
        "--lr", Double.toString(learningRate), "--momentum", Double.toString(momentum),
        "--weight-decay", Double.toString(weightDecay), "--seed", Long.toString(seed),
        "--threads", Integer.toString(threads), "--out", result.toString());
    Run torch = timed("PyTorch FedAvg (" + threads + " threads)", samples,
        () -> ChildProcesses.run(pytorch, ChildProcesses.torchThreads(threads), Duration.ofHours(2)),
        () -> accuracies(result, "rounds", true));

    for (Run run : List.of(simulator, torch)) {
      out.printf(Locale.ROOT, "  %-32s %7.1f s wall  %8.0f samples/s  accuracy per round %s%n", run.name(),
          run.wallSeconds(), run.samplesPerSecond(), run.accuracy().stream()
              .map(a -> String.format(Locale.ROOT, "%.4f", a)).toList());
    }
    double last = simulator.accuracy().get(rounds - 1) - torch.accuracy().get(rounds - 1);
    out.printf(Locale.ROOT, "  ratio simulator / PyTorch: %.2fx samples/s (target >= 1.0); accuracy after round %d: "
        + "%+.2f points (target within 1)%n", simulator.samplesPerSecond() / torch.samplesPerSecond(), rounds, last * 100);

    if (memoryParties > 0) {
      Path memoryReport = work.resolve("memory.json");
      ChildProcesses.run(simulatorCommand(jar, memoryParties, 1, "iid", memoryReport), Map.of(), Duration.ofHours(1));
      long peak = readJson(memoryReport).get("peak_rss_bytes").getAsLong();
      out.printf(Locale.ROOT, "  memory: %d virtual parties, 1 round: peak RSS %.2f GiB (VmHWM; target <= 1.5 GiB, ratio %.2f)%n",
          memoryParties, peak / (double) (1L << 30), peak / (1.5 * (1L << 30)));
    }
    out.printf(Locale.ROOT, "work directory %s%n", work);
    return 0;
  }

  private List<String> simulatorCommand(Path jar, int count, int roundCount, String scheme, Path report) {
    return List.of(ProcessHandle.current().info().command().orElse("java"), "--add-modules=jdk.incubator.vector",
        "-jar", jar.toString(), "--data", data.toString(), "--parties", Integer.toString(count),
        "--rounds", Integer.toString(roundCount), "--model", "cnn", "--partition", scheme,
        "--local-epochs", Integer.toString(localEpochs), "--batch-size", Integer.toString(batchSize),
        "--lr", Double.toString(learningRate), "--momentum", Double.toString(momentum),
        "--weight-decay", Double.toString(weightDecay), "--seed", Long.toString(seed), "--report", report.toString());
  }

  private static Run timed(String name, long samples, Runnable process, java.util.function.Supplier<List<Double>> accuracy) {
    long started = System.nanoTime();
    process.run();
    double seconds = (System.nanoTime() - started) / 1e9;
    return new Run(name, seconds, samples, accuracy.get());
  }

  /** The simulator's split is the partition file's, party by party (the same Partitioner and seed). */
  private static void requireSamePartition(Path report, PartitionFile split) {
    JsonArray parties = readJson(report).getAsJsonObject("partition_split").getAsJsonArray("parties");
    for (int p = 0; p < split.parts().size(); p++) {
      JsonArray indices = parties.get(p).getAsJsonObject().getAsJsonArray("indices");
      int[] expected = split.parts().get(p);
      boolean same = indices.size() == expected.length;
      for (int i = 0; same && i < expected.length; i++) {
        same = indices.get(i).getAsInt() == expected[i];
      }
      if (!same) {
        throw new IllegalStateException("the simulator split party " + (p + 1) + " differently from " + split.partition());
      }
    }
  }

  /** Per round, the accuracy: the simulator's accuracy_per_round, or the reference's rounds after round 0. */
  private static List<Double> accuracies(Path file, String key, boolean rounds) {
    JsonObject json = readJson(file);
    List<Double> values = new ArrayList<>();
    for (JsonElement e : json.getAsJsonArray(key)) {
      if (!rounds) {
        values.add(e.getAsDouble());
      } else if (e.getAsJsonObject().get("round").getAsInt() > 0) {
        values.add(e.getAsJsonObject().get("accuracy").getAsDouble());
      }
    }
    return values;
  }

  private static JsonObject readJson(Path file) {
    try {
      return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + file, e);
    }
  }
}
