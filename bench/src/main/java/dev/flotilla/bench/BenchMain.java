package dev.flotilla.bench;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.tensor.FloatKernels;
import dev.flotilla.protocol.tls.BoringSsl;
import dev.flotilla.protocol.tls.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar bench/target/bench.jar}: the runtime benchmarks of issue 4, each against its limit. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    subcommands = {MemoryBench.class, ReconcileLatencyBench.class, SecAggBench.class, SecAggRoundBench.class, MaskPrgBench.class, DpAccuracyBench.class,
        dev.flotilla.bench.quality.SimulationBench.class},
    description = {"Upload throughput into the aggregator over mTLS (1, 10, 100 parties) and aggregation throughput,",
        "each as a ratio to a limit measured in the same run: raw TLS socket throughput on loopback (same",
        "BoringSSL stack and certificates), and a plain weighted float-array sum in the same JVM."})
public final class BenchMain implements Callable<Integer> {

  @Option(names = "--parties", split = ",", defaultValue = "1,10,100", description = "Concurrency levels (default ${DEFAULT-VALUE}).")
  List<Integer> parties;

  @Option(names = "--model", defaultValue = "mlp", description = "Model whose updates are sent: mlp or cnn (default ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--rounds", defaultValue = "20", description = "Rounds per level, warm-up included (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--warm-up-rounds", defaultValue = "12", description = "Rounds not measured (default ${DEFAULT-VALUE}).")
  int warmUpRounds;

  @Option(names = "--upload-paths", split = ",", defaultValue = "bulk,grpc",
      description = "How the parties of the upload benchmark send their updates, each measured in turn against the "
          + "same raw TLS limit: bulk (the aggregator's bulk-upload port) and grpc (SubmitUpdate) (default "
          + "${DEFAULT-VALUE}).")
  List<String> uploadPaths;

  @Option(names = "--aggregation-updates", defaultValue = "20", description = "Updates per aggregation pass (default ${DEFAULT-VALUE}).")
  int aggregationUpdates;

  @Option(names = "--aggregation-iterations", defaultValue = "20", description = "Measured aggregation passes (default ${DEFAULT-VALUE}).")
  int aggregationIterations;

  @Option(names = "--sections", split = ",", defaultValue = "upload,aggregation,protocol",
      description = "Which benchmarks to run: upload, aggregation, protocol (default ${DEFAULT-VALUE}).")
  List<String> sections;

  @Option(names = "--protocol-parties", split = ",", defaultValue = "10,100",
      description = "Party counts of the protocol-time benchmark (default ${DEFAULT-VALUE}).")
  List<Integer> protocolParties;

  @Option(names = "--protocol-model", defaultValue = "mlp:16-16-2",
      description = "The tiny model of the protocol-time benchmark (default ${DEFAULT-VALUE}).")
  String protocolModel;

  @Option(names = "--protocol-rounds", defaultValue = "200",
      description = "Rounds of the protocol-time benchmark, warm-up included (default ${DEFAULT-VALUE}).")
  int protocolRounds;

  @Option(names = "--protocol-warm-up-rounds", defaultValue = "100",
      description = {"Rounds of the protocol-time benchmark not measured (default ${DEFAULT-VALUE}): with a tiny model",
          "C2 needs some thousand calls of the server's paths before they run compiled."})
  int protocolWarmUpRounds;

  /** As given on the command line (printed with the figures). */
  private List<String> arguments = List.of();

  @Override
  public Integer call() throws Exception {
    if (warmUpRounds < 0 || rounds <= warmUpRounds) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--rounds must exceed --warm-up-rounds");
    }
    ModelSpecs.forName(model);
    if (!FloatKernels.VECTOR_API && (sections.contains("upload") || sections.contains("protocol"))) {
      return runAsTheServerRuns();
    }
    BoringSsl.requireAvailable();
    Path work = Files.createTempDirectory("flotilla-bench");
    Pki pki = new Pki(work);
    TlsFiles server = pki.server();
    double[] load = loadAverage();
    System.out.println("command: " + commandLine(arguments.toArray(String[]::new)));
    System.out.printf(Locale.ROOT, "load average at start: %.2f %.2f %.2f%n", load[0], load[1], load[2]);
    System.out.printf(Locale.ROOT, "machine: %d cores, %s %s, Java %s, max heap %d MiB, TLS %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
        System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20, BoringSsl.providerName());

    if (sections.contains("upload")) {
      upload(work, pki, server);
    }
    if (sections.contains("aggregation")) {
      aggregation(work);
    }
    if (sections.contains("protocol")) {
      protocol(work, pki, server);
    }
    load = loadAverage();
    System.out.printf(Locale.ROOT, "%nload average at end: %.2f %.2f %.2f%n", load[0], load[1], load[2]);
    return 0;
  }

  private void upload(Path work, Pki pki, TlsFiles server) throws Exception {
    System.out.println();
    System.out.println("(a) upload into the aggregator over mTLS, model " + model);
    System.out.println("| parties | path | upload MB/s | raw TLS MB/s | ratio | upload MB per CPU-s | raw TLS MB per CPU-s "
        + "| CPU ratio | upload MB per CPU-s without JIT | raw TLS MB per CPU-s without JIT | CPU ratio without JIT |");
    System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    List<UploadBench.Path> paths = uploadPaths.stream().map(UploadBench.Path::parse).toList();
    for (int n : parties) {
      List<TlsFiles> files = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        files.add(pki.party(i));
      }
      List<UploadBench.Result> uploads = new ArrayList<>();
      for (UploadBench.Path path : paths) {
        uploads.add(UploadBench.run(work, pki, server, files, model, rounds, warmUpRounds, path));
      }
      long perConnection = uploads.get(0).bytesPerUpload() * uploads.get(0).measuredRounds();
      RawTlsBench.run(server, files, perConnection, 64 * 1024); // warm-up
      RawTlsBench.Result raw = RawTlsBench.run(server, files, perConnection, 64 * 1024);
      for (int i = 0; i < paths.size(); i++) {
        UploadBench.Result upload = uploads.get(i);
        System.out.printf(Locale.ROOT, "| %d | %s | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |%n", n,
            paths.get(i).name().toLowerCase(Locale.ROOT), upload.bytesPerSecond() / 1e6, raw.bytesPerSecond() / 1e6,
            upload.bytesPerSecond() / raw.bytesPerSecond(), upload.bytesPerCpuSecond() / 1e6,
            raw.bytesPerCpuSecond() / 1e6, upload.bytesPerCpuSecond() / raw.bytesPerCpuSecond(),
            upload.bytesPerCpuSecondWithoutJit() / 1e6, raw.bytesPerCpuSecondWithoutJit() / 1e6,
            upload.bytesPerCpuSecondWithoutJit() / raw.bytesPerCpuSecondWithoutJit());
      }
      for (int i = 0; i < paths.size(); i++) {
        UploadBench.Result upload = uploads.get(i);
        System.out.printf(Locale.ROOT, "upload ratio to raw TLS, %d parties, %s: %.2f by wall time, %.2f by CPU time "
                + "(target >= 0.6)%n", n, paths.get(i).name().toLowerCase(Locale.ROOT),
            upload.bytesPerSecond() / raw.bytesPerSecond(), upload.bytesPerCpuSecond() / raw.bytesPerCpuSecond());
      }
    }

  }

  private void aggregation(Path work) throws Exception {
    System.out.println();
    System.out.println("(b) aggregation (chunk checks + NaN/Inf check + FedAvg round: fold, next model), model " + model
        + "; kernels: " + FloatKernels.describe());
    System.out.println("    the measuring thread's CPU time; " + aggregationIterations + " passes of each path, interleaved, in "
        + "windows of " + AggregationBench.WINDOW_PASSES + ", each after a warm-up until the JIT is idle");
    AggregationBench.Result agg = AggregationBench.run(work, model, aggregationUpdates, aggregationIterations);
    System.out.println("| updates | Mfloat per CPU-s (server path: FedAvg round) | Mfloat per CPU-s (receive path + fold kernel) "
        + "| Mfloat per CPU-s (plain float-array weighted sum) | Mfloat per CPU-s (single pass, fold kernel) | ratio "
        + "| kernel ratio | ratio to the single-pass kernel |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|");
    System.out.printf(Locale.ROOT, "| %d | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f |%n", agg.updates(),
        agg.serverFloatsPerSecond() / 1e6, agg.kernelFloatsPerSecond() / 1e6, agg.plainFloatsPerSecond() / 1e6,
        agg.singlePassKernelFloatsPerSecond() / 1e6, agg.ratio(), agg.kernelRatio(), agg.ratioToSinglePassKernel());
    System.out.printf(Locale.ROOT, "warm-up: %d batches of >= %d ms; windows measured before the JIT was idle "
            + "(after %d batches): %d%n", agg.warmUpBatches(), JitIdle.BATCH_NANOS / 1_000_000, JitIdle.MAX_BATCHES,
        agg.windowsNotIdle());
    System.out.printf(Locale.ROOT, "aggregation ratio (server path / plain weighted sum): %.2f; to the single-pass kernel: %.2f "
        + "(target >= 0.8)%n", agg.ratio(), agg.ratioToSinglePassKernel());
  }

  private void protocol(Path work, Pki pki, TlsFiles server) throws Exception {
    if (protocolWarmUpRounds < 0 || protocolRounds <= protocolWarmUpRounds + 1) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--protocol-rounds must exceed --protocol-warm-up-rounds by at least 2");
    }
    ModelSpecs.forName(protocolModel);
    System.out.println();
    System.out.println("(c) protocol time per round, parties that train instantly, model " + protocolModel + " ("
        + ModelSpecs.totalElements(ModelSpecs.forName(protocolModel)) + " values)");
    System.out.println("| parties | rounds measured | round cycle ms (median) | round cycle ms (max) "
        + "| server protocol time ms (median) | server protocol time ms (max) | server CPU ms per round "
        + "| parties' CPU ms per round | process CPU ms per round |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (int n : protocolParties) {
      List<TlsFiles> files = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        files.add(pki.party(i));
      }
      ProtocolTimeBench.Result r = ProtocolTimeBench.run(work, server, files, protocolModel, protocolRounds,
          protocolWarmUpRounds);
      System.out.printf(Locale.ROOT, "| %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |%n", n,
          r.measuredRounds(), ProtocolTimeBench.Result.median(r.cycleMillis()),
          ProtocolTimeBench.Result.max(r.cycleMillis()), ProtocolTimeBench.Result.median(r.serverProtocolMillis()),
          ProtocolTimeBench.Result.max(r.serverProtocolMillis()), r.cpu().serverMillis(), r.cpu().partiesMillis(),
          r.cpu().processMillis());
    }
  }

  /** One line naming the machine and the JVM, printed with every benchmark. */
  static String machine() {
    double[] load = loadAverage();
    return String.format(Locale.ROOT, "machine: %d cores, %.1f GiB RAM, %s %s, Java %s, bench max heap %d MiB, TLS %s; "
            + "load average %.2f %.2f %.2f", Runtime.getRuntime().availableProcessors(), totalMemoryGib(),
        System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() >> 20, BoringSsl.providerName(), load[0], load[1], load[2]);
  }

  private static double totalMemoryGib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1048576.0;
        }
      }
    } catch (Exception e) {
      // not Linux: unknown
    }
    return Double.NaN;
  }

  static double[] loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split("\\s+");
      return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
    } catch (Exception e) {
      return new double[] {Double.NaN, Double.NaN, Double.NaN};
    }
  }

  /**
   * The upload and protocol sections run the aggregator in this JVM; production starts it with the
   * Vector API ({@code bin/flotilla server}, the image, the demo), whose fold runs at about twice the
   * plain loops' speed. A JVM without it runs this benchmark again in a child JVM that has it (the
   * same JVM options, arguments and output), so the figures are the production path's.
   */
  private int runAsTheServerRuns() throws java.io.IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        FloatKernels.VECTOR_API_JVM_OPTION));
    command.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchMain.class.getName()));
    command.addAll(arguments);
    System.out.println("the aggregator runs with " + FloatKernels.VECTOR_API_JVM_OPTION + " in production; running "
        + "this benchmark in a JVM that has it (pass it to java yourself to skip this step)");
    return new ProcessBuilder(command).inheritIO().start().waitFor();
  }

  /** The command line of this run, JVM options included, so that a figure says how it was taken. */
  static String commandLine(String[] args) {
    List<String> words = new ArrayList<>(List.of("java"));
    words.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    words.add("-jar");
    words.add("bench/target/bench.jar");
    words.addAll(List.of(args));
    return String.join(" ", words);
  }

  public static void main(String[] args) {
    BenchMain bench = new BenchMain();
    bench.arguments = List.of(args);
    System.exit(new CommandLine(bench).execute(args));
  }
}
