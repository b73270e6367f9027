package dev.flotilla.bench;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.MutualTlsServers;
import dev.flotilla.protocol.tls.PeerIdentityInterceptor;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.RoundsRequest;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.server.FederationServer;
import dev.flotilla.server.FederationService;
import dev.flotilla.server.PeerIdentityCaller;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.state.CheckpointStore;
import dev.flotilla.server.strategy.Strategies;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Upload throughput into the real aggregator over mutual TLS: n parties with their own
 * certificates and connections join a job; each round, once every party holds its TrainRequest,
 * all submit their full update at once; the time until the last SubmitUpdate response is the
 * round's upload time. The server folds and aggregates exactly as in production.
 */
final class UploadBench {

  record Result(int parties, int measuredRounds, long bytesPerUpload, double bytesPerSecond, double bytesPerCpuSecond,
      double bytesPerCpuSecondWithoutJit) {}

  static Result run(Path work, Pki pki, TlsFiles serverFiles, List<TlsFiles> partyFiles, String model, int rounds,
      int warmUpRounds) throws Exception {
    int n = partyFiles.size();
    List<TensorSpec> specs = ModelSpecs.forName(model);
    ServerConfig config = ServerConfig.builder().jobId(Pki.JOB).model(model).rounds(rounds).minParties(n)
        .expectedParties(n).joinGrace(Duration.ZERO).roundTimeout(Duration.ofMinutes(10))
        .finalEvaluationWait(Duration.ZERO).stateDir(work.resolve("state-" + n)).build();
    ServerMetrics metrics = new ServerMetrics();
    RoundCoordinator coordinator = new RoundCoordinator(config, Strategies.byName("fedavg", 0, 0.01),
        new CheckpointStore(config.stateDir()), metrics, "BoringSSL", Clock.systemUTC());
    ExecutorService calls = Executors.newFixedThreadPool(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
    var builder = MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", 0), serverFiles).executor(calls);
    FederationServer server = new FederationServer(builder, new FederationService(coordinator, new PeerIdentityCaller(),
        metrics), List.of(PeerIdentityInterceptor.partiesOf(Pki.SERVER)), metrics, config.maxMessageBytes()).start();
    CompletableFuture<Void> job = CompletableFuture.runAsync(() -> {
      try {
        coordinator.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });

    // one update, encoded once and shared by every party (only the header's round differs)
    float[][] weights = ModelSpecs.initialWeights(model, 99);
    List<UpdateChunk> data = new ArrayList<>();
    TensorChunks.updateStream(UpdateHeader.newBuilder().setRound(1).setNumSamples(100).build(), specs, weights)
        .forEachRemaining(data::add);
    long bytesPerUpload = data.stream().mapToLong(UpdateChunk::getSerializedSize).sum();

    ConcurrentHashMap<Integer, CountDownLatch> trainReceived = new ConcurrentHashMap<>();
    for (int r = 1; r <= rounds; r++) {
      trainReceived.put(r, new CountDownLatch(n));
    }
    List<ManagedChannel> channels = new ArrayList<>();
    List<FederationGrpc.FederationStub> stubs = new ArrayList<>();
    for (TlsFiles files : partyFiles) {
      ManagedChannel ch = MutualTlsChannels.forTarget("127.0.0.1:" + server.port(), Pki.SERVER_NAME, files, Pki.AGGREGATOR)
          .build();
      channels.add(ch);
      FederationGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS)
          .join(JoinRequest.newBuilder().setNumSamples(100).build());
      FederationGrpc.FederationStub stub = FederationGrpc.newStub(ch);
      stubs.add(stub);
      stub.rounds(RoundsRequest.getDefaultInstance(), new StreamObserver<>() {
        @Override
        public void onNext(RoundEvent e) {
          if (e.hasTrain()) {
            trainReceived.get(e.getTrain().getRound()).countDown();
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      });
    }

    double measuredSeconds = 0;
    double measuredCpuSeconds = 0;
    double measuredJitSeconds = 0;
    int measured = 0;
    for (int r = 1; r <= rounds; r++) {
      if (!trainReceived.get(r).await(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException("round " + r + " did not start");
      }
      List<UpdateChunk> chunks = new ArrayList<>(data);
      chunks.set(0, UpdateChunk.newBuilder().setHeader(data.get(0).getHeader().toBuilder().setRound(r)).build());
      CountDownLatch done = new CountDownLatch(n);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      long t0 = System.nanoTime();
      long cpu0 = CpuClock.process();
      long jit0 = CpuClock.jitCompilers();
      for (FederationGrpc.FederationStub stub : stubs) {
        StreamObserver<UpdateChunk> out = stub.submitUpdate(new StreamObserver<>() {
          @Override
          public void onNext(SubmitUpdateResponse value) {}

          @Override
          public void onError(Throwable t) {
            failure.set(t);
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
        for (UpdateChunk c : chunks) {
          out.onNext(c);
        }
        out.onCompleted();
      }
      if (!done.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("uploads of round " + r + " did not complete");
      }
      long nanos = System.nanoTime() - t0;
      long cpuNanos = CpuClock.process() - cpu0;
      long jitNanos = CpuClock.jitCompilers() - jit0;
      if (failure.get() != null) {
        throw new IllegalStateException("an upload failed in round " + r, failure.get());
      }
      if (r > warmUpRounds) { // the first rounds warm up the JIT, connections and buffers
        measuredSeconds += nanos / 1e9;
        measuredCpuSeconds += cpuNanos / 1e9;
        measuredJitSeconds += jitNanos / 1e9;
        measured++;
      }
    }
    job.get(5, TimeUnit.MINUTES);
    for (ManagedChannel ch : channels) {
      ch.shutdownNow();
    }
    server.stop(1000);
    calls.shutdownNow();
    double bytes = (double) bytesPerUpload * n * measured;
    return new Result(n, measured, bytesPerUpload, bytes / measuredSeconds, bytes / measuredCpuSeconds,
        bytes / (measuredCpuSeconds - measuredJitSeconds));
  }
}
