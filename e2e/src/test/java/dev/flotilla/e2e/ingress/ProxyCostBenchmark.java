package dev.flotilla.e2e.ingress;

import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.demo.FederationPki;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.demo.ingress.NginxProcess;
import dev.flotilla.protocol.tls.MutualTlsServers;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.RealServer;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The cost of the ingress, measured in one run on this machine: the same transfers and rounds directly
 * to the backend and through nginx (passthrough, terminate), configured from the controller's Ingress.
 *
 * <ol>
 *   <li>bulk: a 256 MiB SubmitUpdate (upload) and FetchModel (download), median of {@code --reps};</li>
 *   <li>protocol rounds: 3 concurrent parties each fetch and upload an MLP-sized model (0.8 MB), the
 *       wire work of one federated round without training, {@code --protocol-rounds} times;</li>
 *   <li>training rounds: the real aggregator and 3 party processes on Fashion-MNIST, {@code --rounds}
 *       rounds directly and through passthrough nginx.</li>
 * </ol>
 *
 * Run from the repository root after {@code mvn -o -pl e2e -am install -DskipTests}:
 * {@code mvn -o -q -pl e2e dependency:build-classpath -Dmdep.outputFile=/tmp/e2e.cp && java -cp
 * e2e/target/test-classes:$(cat /tmp/e2e.cp) dev.flotilla.e2e.ingress.ProxyCostBenchmark (with FLOTILLA_REPO_ROOT=$PWD) [--reps 3]
 * [--protocol-rounds 30] [--rounds 3] [--skip-training]}
 */
public final class ProxyCostBenchmark {

  static final long BULK = 256 * BulkTransfer.MIB;
  static final long MLP_BYTES = 4L * (784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10);

  public static void main(String[] args) throws Exception {
    int reps = intArg(args, "--reps", 3);
    int protocolRounds = intArg(args, "--protocol-rounds", 30);
    int rounds = intArg(args, "--rounds", 3);
    boolean training = !Arrays.asList(args).contains("--skip-training");
    Path dir = Files.createTempDirectory("flotilla-proxy-cost-");
    FederationPki pki = FederationPki.create(dir.resolve("pki"), Ingresses.JOB);
    System.out.printf(Locale.ROOT, "proxy cost: nginx %s, %d cores, bulk %d MiB x %d, protocol rounds %d, training rounds %d%n",
        "1.22 (Debian)", Runtime.getRuntime().availableProcessors(), BULK >> 20, reps, protocolRounds, training ? rounds : 0);

    List<String> rows = new ArrayList<>();
    rows.add("| path | upload MiB/s | download MiB/s | protocol rounds/s |");
    rows.add("|---|---:|---:|---:|");
    List<String> paths = List.of("direct", "passthrough", "terminate");
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      // every path is set up first and measured interleaved, so JIT warm-up and the machine's load fall on all alike
      Map<String, ManagedChannel> bulk = new java.util.LinkedHashMap<>();
      Map<String, String> smallAddresses = new java.util.LinkedHashMap<>();
      for (String path : paths) {
        int bulkPort = FreePorts.next();
        int smallPort = FreePorts.next();
        Server bulkServer = backend(path, pki, bulkPort, new BulkTransfer.Service(BULK));
        Server smallServer = backend(path, pki, smallPort, new BulkTransfer.Service(MLP_BYTES));
        resources.add(() -> bulkServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        resources.add(() -> smallServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        String bulkAddress = "127.0.0.1:" + bulkPort;
        String smallAddress = "127.0.0.1:" + smallPort;
        if (!path.equals("direct")) {
          TlsMode mode = path.equals("passthrough") ? TlsMode.PASSTHROUGH : TlsMode.TERMINATE;
          NginxProcess bulkNginx = Ingresses.start(dir.resolve(path + "-bulk"), mode, pki, bulkPort, UnaryOperator.identity(), Map.of());
          resources.add(bulkNginx);
          NginxProcess smallNginx = Ingresses.start(dir.resolve(path + "-small"), mode, pki, smallPort, UnaryOperator.identity(), Map.of());
          resources.add(smallNginx);
          bulkAddress = bulkNginx.address();
          smallAddress = smallNginx.address();
        }
        ManagedChannel channel = Ingresses.partyChannel(bulkAddress, pki, "party-1");
        resources.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        bulk.put(path, channel);
        smallAddresses.put(path, smallAddress);
      }
      for (String path : paths) {
        BulkTransfer.fetch(bulk.get(path), 300);
        BulkTransfer.submit(bulk.get(path), BULK, 300);
        protocolRounds(smallAddresses.get(path), pki, 5);
      }
      Map<String, double[]> up = new java.util.HashMap<>();
      Map<String, double[]> down = new java.util.HashMap<>();
      Map<String, double[]> perSecond = new java.util.HashMap<>();
      for (String path : paths) {
        up.put(path, new double[reps]);
        down.put(path, new double[reps]);
        perSecond.put(path, new double[reps]);
      }
      for (int i = 0; i < reps; i++) {
        for (String path : paths) {
          long started = System.nanoTime();
          BulkTransfer.submit(bulk.get(path), BULK, 300);
          up.get(path)[i] = BULK / (double) BulkTransfer.MIB / ((System.nanoTime() - started) / 1e9);
          down.get(path)[i] = BulkTransfer.fetch(bulk.get(path), 300).mibPerSecond();
          perSecond.get(path)[i] = protocolRounds(smallAddresses.get(path), pki, protocolRounds);
          System.out.printf(Locale.ROOT, "rep %d %s: up %.0f MiB/s, down %.0f MiB/s, %.1f protocol rounds/s%n", i + 1, path,
              up.get(path)[i], down.get(path)[i], perSecond.get(path)[i]);
        }
      }
      for (String path : paths) {
        rows.add(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.1f |", path, median(up.get(path)),
            median(down.get(path)), median(perSecond.get(path))));
      }
    } finally {
      for (int i = resources.size() - 1; i >= 0; i--) {
        resources.get(i).close();
      }
    }
    if (training) {
      rows.add("");
      rows.add("| training path (3 parties, mlp, Dirichlet 0.5, 1 local epoch, batch 128) | rounds | seconds in rounds | rounds/s | wall s |");
      rows.add("|---|---:|---:|---:|---:|");
      for (boolean viaNginx : List.of(false, true)) {
        rows.add(training(dir.resolve(viaNginx ? "training-nginx" : "training-direct"), rounds, viaNginx));
        System.out.println(rows.get(rows.size() - 1));
      }
    }
    System.out.println();
    rows.forEach(System.out::println);
  }

  /**
   * The backend ends mutual TLS on every path; terminate: nginx ends the party's TLS and opens its own
   * to the backend (backend-protocol GRPCS, the controller's Ingress for a Flotilla image).
   */
  static Server backend(String path, FederationPki pki, int port, BulkTransfer.Service service) throws Exception {
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
    NettyServerBuilder builder = MutualTlsServers.forAddress(address, Ingresses.files(pki.server()));
    return builder.addService(service).build().start();
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** 3 parties on their own connections; a round ends when all three fetched and uploaded. */
  static double protocolRounds(String address, FederationPki pki, int rounds) throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      for (int p = 1; p <= 3; p++) {
        channels.add(Ingresses.partyChannel(address, pki, "party-" + p));
      }
      Runnable[] parties = channels.stream().<Runnable>map(ch -> () -> {
        try {
          BulkTransfer.fetch(ch, 60);
          BulkTransfer.submit(ch, MLP_BYTES, 60);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }).toArray(Runnable[]::new);
      runRound(parties, pool);
      long started = System.nanoTime();
      for (int r = 0; r < rounds; r++) {
        runRound(parties, pool);
      }
      return rounds / ((System.nanoTime() - started) / 1e9);
    } finally {
      pool.shutdownNow();
      for (ManagedChannel channel : channels) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  static void runRound(Runnable[] parties, ExecutorService pool) {
    CompletableFuture.allOf(Arrays.stream(parties).map(p -> CompletableFuture.runAsync(p, pool))
        .toArray(CompletableFuture[]::new)).join();
  }

  static String training(Path dir, int rounds, boolean viaNginx) throws Exception {
    LocalFederation.Settings settings = new LocalFederation.Settings().parties(3).rounds(rounds).model("mlp")
        .partition("dirichlet:0.5").seed(42).dataDirectory(RealServer.fashionMnistDirectory()).localEpochs(1)
        .batchSize(128).roundTimeout(Duration.ofSeconds(300));
    long started = System.nanoTime();
    try (LocalFederation federation = LocalFederation.prepare(settings, FlotillaJars.locate(), dir)) {
      NginxProcess nginx = null;
      try {
        if (viaNginx) {
          nginx = Ingresses.start(dir.resolve("nginx"), TlsMode.PASSTHROUGH, federation.pki(), federation.port(),
              UnaryOperator.identity(), Map.of());
          federation.routePartiesThrough(nginx.address());
        }
        federation.start();
        if (federation.server().waitFor(20, TimeUnit.MINUTES).orElse(-1) != 0) {
          throw new IllegalStateException("the federation failed:\n" + federation.logTails(30));
        }
        JobStatus status = federation.status().orElseThrow();
        double inRounds = status.rounds().stream().mapToDouble(RoundRecord::durationSeconds).sum();
        return String.format(Locale.ROOT, "| %s | %d | %.1f | %.3f | %.1f |", viaNginx ? "through nginx passthrough" : "direct",
            status.roundsCompleted(), inRounds, status.roundsCompleted() / inRounds, (System.nanoTime() - started) / 1e9);
      } finally {
        if (nginx != null) {
          nginx.close();
        }
      }
    }
  }

  static int intArg(String[] args, String name, int defaultValue) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return defaultValue;
  }
}
