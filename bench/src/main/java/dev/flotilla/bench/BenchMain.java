package dev.flotilla.bench;

import dev.flotilla.protocol.model.ModelSpecs;
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
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = MemoryBench.class,
    description = {"Upload throughput into the aggregator over mTLS (1, 10, 100 parties) and aggregation throughput,",
        "each as a ratio to a limit measured in the same run: raw TLS socket throughput on loopback (same",
        "BoringSSL stack and certificates), and a plain weighted float-array sum in the same JVM."})
public final class BenchMain implements Callable<Integer> {

  @Option(names = "--parties", split = ",", defaultValue = "1,10,100", description = "Concurrency levels (default ${DEFAULT-VALUE}).")
  List<Integer> parties;

  @Option(names = "--model", defaultValue = "mlp", description = "Model whose updates are sent: mlp or cnn (default ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--rounds", defaultValue = "8", description = "Rounds per level, warm-up included (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--warm-up-rounds", defaultValue = "3", description = "Rounds not measured (default ${DEFAULT-VALUE}).")
  int warmUpRounds;

  @Option(names = "--aggregation-updates", defaultValue = "20", description = "Updates per aggregation pass (default ${DEFAULT-VALUE}).")
  int aggregationUpdates;

  @Option(names = "--aggregation-iterations", defaultValue = "20", description = "Measured aggregation passes (default ${DEFAULT-VALUE}).")
  int aggregationIterations;

  @Override
  public Integer call() throws Exception {
    if (warmUpRounds < 0 || rounds <= warmUpRounds) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--rounds must exceed --warm-up-rounds");
    }
    ModelSpecs.forName(model);
    BoringSsl.requireAvailable();
    Path work = Files.createTempDirectory("flotilla-bench");
    Pki pki = new Pki(work);
    TlsFiles server = pki.server();
    double[] load = loadAverage();
    System.out.printf(Locale.ROOT, "load average at start: %.2f %.2f %.2f%n", load[0], load[1], load[2]);
    System.out.printf(Locale.ROOT, "machine: %d cores, %s %s, Java %s, max heap %d MiB, TLS %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
        System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20, BoringSsl.providerName());

    System.out.println();
    System.out.println("(a) upload into the aggregator over mTLS, model " + model);
    System.out.println("| parties | upload MB/s | raw TLS MB/s | ratio | upload MB per CPU-s | raw TLS MB per CPU-s | CPU ratio |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
    for (int n : parties) {
      List<TlsFiles> files = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        files.add(pki.party(i));
      }
      UploadBench.Result upload = UploadBench.run(work, pki, server, files, model, rounds, warmUpRounds);
      long perConnection = upload.bytesPerUpload() * upload.measuredRounds();
      RawTlsBench.run(server, files, perConnection, 64 * 1024); // warm-up
      RawTlsBench.Result raw = RawTlsBench.run(server, files, perConnection, 64 * 1024);
      System.out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |%n", n,
          upload.bytesPerSecond() / 1e6, raw.bytesPerSecond() / 1e6, upload.bytesPerSecond() / raw.bytesPerSecond(),
          upload.bytesPerCpuSecond() / 1e6, raw.bytesPerCpuSecond() / 1e6,
          upload.bytesPerCpuSecond() / raw.bytesPerCpuSecond());
    }

    System.out.println();
    System.out.println("(b) aggregation (check + decode + fold into the running weighted sum + average), model " + model);
    AggregationBench.Result agg = AggregationBench.run(model, aggregationUpdates, aggregationIterations);
    System.out.println("| updates | Mfloat per CPU-s (server path) | Mfloat per CPU-s (plain float-array weighted sum) | ratio |");
    System.out.println("|---:|---:|---:|---:|");
    System.out.printf(Locale.ROOT, "| %d | %.0f | %.0f | %.2f |%n", agg.updates(), agg.serverFloatsPerSecond() / 1e6,
        agg.plainFloatsPerSecond() / 1e6, agg.ratio());
    load = loadAverage();
    System.out.printf(Locale.ROOT, "%nload average at end: %.2f %.2f %.2f%n", load[0], load[1], load[2]);
    return 0;
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

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchMain()).execute(args));
  }
}
