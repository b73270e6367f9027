package dev.flotilla.bench;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.server.BulkUploadServer;
import dev.flotilla.server.FederationServer;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.ServerModule;
import dev.flotilla.server.round.RoundCoordinator;
import io.grpc.ManagedChannel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The real aggregator in this JVM, wired by the server's own {@link ServerModule} as
 * {@code bin/flotilla server} wires it (coordinator, FedAvg, checkpoints on, call executor, Netty
 * transport with its flow-control window and limits, identity and admission interceptors), running
 * one job of {@code rounds} rounds for exactly n parties, and one mTLS channel per party certificate.
 */
final class BenchAggregator implements AutoCloseable {

  final RoundCoordinator coordinator;
  final FederationServer server;
  final CompletableFuture<Void> job;
  private final Thread loop;
  final List<ManagedChannel> channels = new ArrayList<>();
  /** The bulk-upload port, or null when the aggregator has none. */
  final BulkUploadServer bulk;

  BenchAggregator(Path stateDir, TlsFiles serverFiles, List<TlsFiles> partyFiles, String model, int rounds)
      throws Exception {
    this(stateDir, serverFiles, partyFiles, model, rounds, false);
  }

  /** {@code bulkPort}: also open the bulk-upload port (--bulk-port) on loopback. */
  BenchAggregator(Path stateDir, TlsFiles serverFiles, List<TlsFiles> partyFiles, String model, int rounds,
      boolean bulkPort) throws Exception {
    this(stateDir, serverFiles, partyFiles, model, rounds, bulkPort, b -> b);
  }

  /** {@code tune}: further settings of the job (e.g. --secure-aggregation). */
  BenchAggregator(Path stateDir, TlsFiles serverFiles, List<TlsFiles> partyFiles, String model, int rounds,
      boolean bulkPort, java.util.function.UnaryOperator<ServerConfig.Builder> tune) throws Exception {
    int n = partyFiles.size();
    ServerConfig config = tune.apply(ServerConfig.builder().jobId(Pki.JOB).model(model).rounds(rounds).minParties(n)
        .expectedParties(n).joinGrace(Duration.ZERO).roundTimeout(Duration.ofMinutes(10))
        .finalEvaluationWait(Duration.ZERO).stateDir(stateDir)).build();
    ServerModule module = new ServerModule(config, new InetSocketAddress("127.0.0.1", 0), serverFiles);
    Injector injector = Guice.createInjector(module);
    coordinator = injector.getInstance(RoundCoordinator.class);
    bulk = bulkPort ? module.openBulkPort(injector, new InetSocketAddress("127.0.0.1", 0), Duration.ofSeconds(60))
        : null;
    server = injector.getInstance(FederationServer.class).start();
    job = new CompletableFuture<>();
    loop = new Thread(() -> {
      try {
        coordinator.run();
        job.complete(null);
      } catch (Throwable t) {
        job.completeExceptionally(t);
      }
    }, "bench-round-loop");
    loop.setDaemon(true);
    loop.start();
    for (TlsFiles files : partyFiles) {
      channels.add(MutualTlsChannels.forTarget("127.0.0.1:" + server.port(), Pki.SERVER_NAME, files, Pki.AGGREGATOR)
          .build());
    }
  }

  /** Stops the job's round loop (a benchmark that failed: its rounds would wait for their deadline). */
  void abort() throws InterruptedException {
    loop.interrupt();
    loop.join(TimeUnit.MINUTES.toMillis(1));
  }

  /** Waits for the job to end, then stops the channels and the server (its call executor's daemon threads stay idle). */
  @Override
  public void close() throws Exception {
    try {
      job.get(5, TimeUnit.MINUTES);
    } finally {
      for (ManagedChannel ch : channels) {
        ch.shutdownNow();
      }
      server.stop(1000);
      if (bulk != null) {
        bulk.close();
      }
    }
  }
}
