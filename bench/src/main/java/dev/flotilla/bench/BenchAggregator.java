package dev.flotilla.bench;

import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.MutualTlsServers;
import dev.flotilla.protocol.tls.PeerIdentityInterceptor;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.server.FederationServer;
import dev.flotilla.server.FederationService;
import dev.flotilla.server.PeerIdentityCaller;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.state.CheckpointStore;
import dev.flotilla.server.ServerModule;
import io.grpc.ManagedChannel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The real aggregator in this JVM, as production wires it (coordinator, FedAvg, checkpoints on,
 * the Federation service behind mutual TLS and the identity interceptor), running one job of
 * {@code rounds} rounds for exactly n parties, and one mTLS channel per party certificate.
 */
final class BenchAggregator implements AutoCloseable {

  final RoundCoordinator coordinator;
  final FederationServer server;
  final CompletableFuture<Void> job;
  final List<ManagedChannel> channels = new ArrayList<>();
  private final ExecutorService calls;

  BenchAggregator(Path stateDir, TlsFiles serverFiles, List<TlsFiles> partyFiles, String model, int rounds)
      throws Exception {
    int n = partyFiles.size();
    ServerConfig config = ServerConfig.builder().jobId(Pki.JOB).model(model).rounds(rounds).minParties(n)
        .expectedParties(n).joinGrace(Duration.ZERO).roundTimeout(Duration.ofMinutes(10))
        .finalEvaluationWait(Duration.ZERO).stateDir(stateDir).build();
    ServerMetrics metrics = new ServerMetrics();
    coordinator = new RoundCoordinator(config, ServerModule.strategyOf(config),
        new CheckpointStore(config.stateDir()), metrics, "BoringSSL", Clock.systemUTC());
    calls = Executors.newFixedThreadPool(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
    var builder = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), serverFiles).executor(calls);
    server = new FederationServer(builder, new FederationService(coordinator, new PeerIdentityCaller(), metrics),
        List.of(PeerIdentityInterceptor.partiesOf(Pki.SERVER)), metrics, config.maxMessageBytes()).start();
    job = CompletableFuture.runAsync(() -> {
      try {
        coordinator.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    for (TlsFiles files : partyFiles) {
      channels.add(MutualTlsChannels.forTarget("127.0.0.1:" + server.port(), Pki.SERVER_NAME, files, Pki.AGGREGATOR)
          .build());
    }
  }

  /** Waits for the job to end, then stops channels, server and executor. */
  @Override
  public void close() throws Exception {
    try {
      job.get(5, TimeUnit.MINUTES);
    } finally {
      for (ManagedChannel ch : channels) {
        ch.shutdownNow();
      }
      server.stop(1000);
      calls.shutdownNow();
    }
  }
}
