package dev.flotilla.server;

import dev.flotilla.server.transport.UploadPermits;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.state.CheckpointStore;
import dev.flotilla.server.transport.CallAdmission;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** An aggregator on in-process gRPC with header identities: real coordinator, call admission, real protocol. */
public final class Federation implements AutoCloseable {

  public final RoundCoordinator coordinator;
  public final CallAdmission admission;
  public final FederationServer server;
  public final ManagedChannel channel;
  public final ServerMetrics metrics = new ServerMetrics();
  public final CompletableFuture<Void> done = new CompletableFuture<>();
  private final Thread runner;

  public Federation(ServerConfig config) throws Exception {
    String name = InProcessServerBuilder.generateName();
    coordinator = new RoundCoordinator(config,
        ServerModule.strategyOf(config),
        new CheckpointStore(config.stateDir()), metrics, "none (in-process test)", Clock.systemUTC());
    admission = new CallAdmission(config.jobId(), new TestIdentity(), coordinator, config.maxCallsPerParty());
    // the masked rounds of --secure-aggregation, behind the same interceptors as Federation (as ServerModule does)
    io.grpc.ServerServiceDefinition masked = io.grpc.ServerInterceptors.intercept(
        new SecureAggregationService(coordinator, new TestIdentity(), metrics).bindService(), admission,
        TestIdentity.interceptor());
    server = new FederationServer(InProcessServerBuilder.forName(name),
        new FederationService(coordinator, new TestIdentity(), metrics,
            ServerModule.uploadPermitsOf(config, coordinator)),
        List.of(admission, TestIdentity.interceptor()), List.of(), List.of(masked), metrics, config.maxMessageBytes(),
        () -> { }).start();
    channel = InProcessChannelBuilder.forName(name).build();
    runner = new Thread(() -> {
      try {
        coordinator.run();
        done.complete(null);
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    }, "coordinator");
    runner.setDaemon(true);
    runner.start();
  }

  public FakeParty party(String name) {
    return new FakeParty(channel, name);
  }

  @Override
  public void close() throws Exception {
    runner.interrupt();
    channel.shutdownNow();
    server.stop(1000);
    runner.join(5000);
    coordinator.close();
  }
}
