package dev.flotilla.bench;

import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.SafetensorsHeader;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tls.BoringSsl;
import dev.flotilla.protocol.tls.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar bench/target/bench.jar memory}: the server's memory with a big model and many
 * parties. The real aggregator runs as its own process (the packaged server jar, started with the
 * JVM flags its launcher gives it), its initial model a safetensors file of {@code --model-mib}
 * made here (a few large tensors and many small ones). {@code --parties} parties, each with its
 * own certificate and mTLS connection, join, fetch the model and upload an update every round; all
 * updates are slices of one read-only memory-mapped file (the initial model's data section, which
 * is exactly the wire's float32 little-endian layout), so this process stays small too. The
 * server's peak RSS (VmHWM of /proc/PID/status) and its smaps_rollup are printed with the ratio of
 * the peak to the model's float32 size, and the peak bytes under its state directory (spill files).
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
    description = {"Peak RSS of the aggregator (its own process) with a big model and many parties over mTLS,",
        "as a ratio to the model's size; e.g. --model-mib 1024 --parties 100, or --model-mib 1 --parties 1000."})
final class MemoryBench implements Callable<Integer> {

  @Option(names = "--model-mib", defaultValue = "1024", description = "Model size in MiB of float32 (default ${DEFAULT-VALUE}).")
  long modelMib;

  @Option(names = "--large-tensors", defaultValue = "4",
      description = "Tensors that share 90%% of the model (default ${DEFAULT-VALUE}).")
  int largeTensors;

  @Option(names = "--small-tensors", defaultValue = "400",
      description = "Tensors that share the other 10%% (default ${DEFAULT-VALUE}).")
  int smallTensors;

  @Option(names = "--parties", defaultValue = "100", description = "Parties, each with its own certificate and connection (default ${DEFAULT-VALUE}).")
  int parties;

  @Option(names = "--rounds", defaultValue = "1", description = "Rounds of the job (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--strategy", defaultValue = "fedavg", description = "The server's --strategy (default ${DEFAULT-VALUE}).")
  String strategy;

  @Option(names = "--upload-chunk-kib", defaultValue = "1024",
      description = "Bytes of values per uploaded data chunk, in KiB (default ${DEFAULT-VALUE}: the protocol's maximum, "
          + "what parties send today).")
  int uploadChunkKib;

  @Option(names = "--fetch", defaultValue = "true", negatable = true, fallbackValue = "true",
      description = "Whether every party fetches the global model before uploading (default ${DEFAULT-VALUE}).")
  boolean fetch;

  @Option(names = "--server-jvm", split = " ", defaultValue = "",
      description = "JVM options of the server process, space-separated (default: none, i.e. what the server jar's "
          + "launcher sets).")
  List<String> serverJvm;

  @Option(names = "--nmt", description = "Start the server with native memory tracking and print its summary at the end "
      + "(committed KiB per category: heap, threads, GC, code, internal, other = direct buffers, ...).")
  boolean nmt;

  @Option(names = "--server-env", description = "An environment variable of the server process, KEY=VALUE, repeatable "
      + "(e.g. MALLOC_ARENA_MAX=2).")
  Map<String, String> serverEnv = new java.util.LinkedHashMap<>();

  @Option(names = "--server-arg", description = "A further argument of the server, repeatable.")
  List<String> serverArgs = new ArrayList<>();

  @Option(names = "--server-jar", defaultValue = "aggregator-server/target/aggregator-server.jar",
      description = "The packaged server (default ${DEFAULT-VALUE}).")
  Path serverJar;

  @Option(names = "--work-dir", description = "Where the model, certificates and the server's state go (default: a new "
      + "temporary directory, deleted at the end). It needs the model's size x 3, plus parties x model for spilling "
      + "strategies.")
  Path workDir;

  @Option(names = "--timeout-minutes", defaultValue = "60", description = "Give up after (default ${DEFAULT-VALUE}).")
  long timeoutMinutes;

  @Override
  public Integer call() throws Exception {
    BoringSsl.requireAvailable();
    Path work = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("flotilla-memory");
    try {
      return run(work);
    } finally {
      if (workDir == null) {
        BenchFiles.deleteTree(work);
      }
    }
  }

  private int run(Path work) throws Exception {
    System.out.println(BenchMain.machine());
    BenchFiles.deleteTree(work.resolve("pki")); // one CA per run: certificates of an earlier run's CA are not trusted
    Pki pki = new Pki(work.resolve("pki"));
    TlsFiles serverFiles = pki.server();
    List<TlsFiles> partyFiles = new ArrayList<>();
    for (int i = 0; i < parties; i++) {
      partyFiles.add(pki.party(i));
    }
    Path modelFile = work.resolve("initial.safetensors");
    List<TensorSpec> layout = BigModel.layout(modelMib << 20, largeTensors, smallTensors);
    BigModel.write(modelFile, layout);
    SafetensorsHeader header = Safetensors.readLayout(modelFile);
    long modelBytes = header.dataBytes();
    System.out.printf(Locale.ROOT, "model: %d tensors, %d float32 values, %.1f MiB; %d parties, strategy %s, %d round(s), "
            + "fetch %s, upload chunks of %d KiB%n", layout.size(), modelBytes / 4, modelBytes / 1048576.0, parties, strategy,
        rounds, fetch, uploadChunkKib);

    Path stateDir = work.resolve("state");
    BenchFiles.deleteTree(stateDir); // a job of its own each run, never a resumed one
    List<String> args = new ArrayList<>(List.of("--cert", serverFiles.certificateChain().toString(),
        "--key", serverFiles.privateKey().toString(), "--ca", serverFiles.trustedCa().toString(),
        "--bind", "127.0.0.1", "--port", Integer.toString(BenchFiles.freePort()),
        "--state-dir", stateDir.toString(), "--initial-model", modelFile.toString(),
        "--rounds", Integer.toString(rounds), "--min-parties", Integer.toString(parties),
        "--expected-parties", Integer.toString(parties), "--strategy", strategy,
        "--round-timeout", timeoutMinutes + "m", "--final-eval-wait", "120s"));
    args.addAll(serverArgs);
    int port = Integer.parseInt(args.get(args.indexOf("--port") + 1));
    List<String> jvm = new ArrayList<>(serverJvm.stream().filter(s -> !s.isBlank()).toList());
    if (nmt) {
      jvm.add("-XX:NativeMemoryTracking=summary");
    }
    try (ServerUnderTest server = ServerUnderTest.start(serverJar, jvm, serverEnv, args, work.resolve("server.log"), stateDir);
         PartyFleet fleet = PartyFleet.connect(port, partyFiles, header.layout(),
             MappedUpdate.of(modelFile, header, uploadChunkKib << 10), server)) {
      System.out.printf(Locale.ROOT, "server pid %d, JVM options %s, environment %s; %d parties joined; RSS after joins "
          + "%.0f MiB%n", server.pid(), jvm.isEmpty() ? "(none)" : jvm, serverEnv, parties, server.rssKib() / 1024.0);
      long start = System.nanoTime();
      fleet.runJob(fetch, TimeUnit.MINUTES.toNanos(timeoutMinutes), server);
      double seconds = (System.nanoTime() - start) / 1e9;
      // the server now waits for final evaluations (none come): it is measured before it exits
      Map<String, Long> rollup = server.smapsRollupKib();
      Map<String, Long> nativeMemory = nmt ? server.nativeMemoryCommittedKib() : Map.of();
      long peakKib = server.peakRssKib();
      Path exported = stateDir.resolve("model-final.safetensors");
      server.awaitFile(exported);
      System.out.printf(Locale.ROOT, "job of %d round(s) done in %.0f s: %.1f GiB uploaded, %.1f GiB fetched%n", rounds,
          seconds, fleet.bytesUploaded() / 1073741824.0, fleet.bytesFetched() / 1073741824.0);
      System.out.println();
      System.out.println("| model MiB | parties | strategy | server peak RSS MiB (VmHWM) | ratio to model | limit 3 x model + 512 MiB | "
          + "peak state-dir GiB | load average |");
      System.out.println("|---:|---:|---|---:|---:|---:|---:|---|");
      double[] load = BenchMain.loadAverage();
      System.out.printf(Locale.ROOT, "| %.0f | %d | %s | %.0f | %.2f | %.0f | %.1f | %.2f %.2f %.2f |%n",
          modelBytes / 1048576.0, parties, strategy, peakKib / 1024.0, peakKib * 1024.0 / modelBytes,
          (3 * modelBytes + (512L << 20)) / 1048576.0, server.peakStateBytes() / 1073741824.0, load[0], load[1], load[2]);
      System.out.println();
      System.out.println("smaps_rollup at the end (KiB): " + rollup);
      if (nmt) {
        System.out.println("native memory tracking at the end (committed KiB): " + nativeMemory);
      }
      System.out.println("exported " + exported + ": " + Files.size(exported) + " bytes");
      BigModel.checkExport(exported, modelFile);
      System.out.println("export checked: every value equals the parties' identical update");
    }
    return 0;
  }
}
