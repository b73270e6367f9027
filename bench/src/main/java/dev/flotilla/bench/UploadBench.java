package dev.flotilla.bench;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.RoundsRequest;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import com.google.protobuf.ByteString;
import dev.flotilla.protocol.bulk.BulkUploadClient;
import dev.flotilla.protocol.bulk.BulkWire;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import io.grpc.ManagedChannel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Upload throughput into the real aggregator over mutual TLS: n parties with their own
 * certificates and connections join a job; each round, once every party holds its TrainRequest,
 * all submit their full update at once; the time until the last answer is the round's upload
 * time. The server folds and aggregates exactly as in production. {@link Path#GRPC}: SubmitUpdate
 * on each party's gRPC channel; {@link Path#BULK}: the aggregator's bulk-upload port, one TLS
 * connection per update with the round's ticket (parties on one shared event loop group, as grpc's
 * channels share theirs).
 */
final class UploadBench {

  /** How the parties upload. */
  enum Path {
    GRPC, BULK;

    static Path parse(String name) {
      return valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }
  }

  record Result(int parties, int measuredRounds, long bytesPerUpload, double bytesPerSecond, double bytesPerCpuSecond,
      double bytesPerCpuSecondWithoutJit) {}

  static Result run(java.nio.file.Path work, Pki pki, TlsFiles serverFiles, List<TlsFiles> partyFiles, String model,
      int rounds, int warmUpRounds, Path path) throws Exception {
    int n = partyFiles.size();
    List<TensorSpec> specs = ModelSpecs.forName(model);
    boolean bulk = path == Path.BULK;
    BenchAggregator aggregator = new BenchAggregator(work.resolve("state-" + n + "-" + path), serverFiles, partyFiles,
        model, rounds, bulk);
    EventLoopGroup bulkLoops = bulk ? new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory()) : null;
    List<BulkUploadClient> bulkClients = new ArrayList<>();
    if (bulk) {
      for (TlsFiles files : partyFiles) {
        bulkClients.add(new BulkUploadClient(MutualTlsChannels.bulkSslContext(files, Pki.AGGREGATOR), bulkLoops));
      }
    }

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
    // the bulk path's tickets, by party and round
    List<ConcurrentHashMap<Integer, ByteString>> tickets = new ArrayList<>();
    List<FederationGrpc.FederationStub> stubs = new ArrayList<>();
    int bulkPort = 0;
    for (ManagedChannel ch : aggregator.channels) {
      JoinRequest.Builder join = JoinRequest.newBuilder().setNumSamples(100);
      if (bulk) {
        join.addCapabilities(BulkWire.CAPABILITY);
      }
      bulkPort = FederationGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS).join(join.build())
          .getBulkUploadPort();
      if (bulk && bulkPort == 0) {
        throw new IllegalStateException("the aggregator offered no bulk-upload port");
      }
      FederationGrpc.FederationStub stub = FederationGrpc.newStub(ch);
      stubs.add(stub);
      ConcurrentHashMap<Integer, ByteString> own = new ConcurrentHashMap<>();
      tickets.add(own);
      stub.rounds(RoundsRequest.getDefaultInstance(), new StreamObserver<>() {
        @Override
        public void onNext(RoundEvent e) {
          if (e.hasTrain()) {
            own.put(e.getTrain().getRound(), e.getTrain().getUploadTicket());
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
      for (int i = 0; bulk && i < n; i++) {
        bulkClients.get(i).start("127.0.0.1", bulkPort, Pki.SERVER_NAME, tickets.get(i).get(r), chunks::iterator)
            .whenComplete((response, t) -> {
              if (t != null) {
                failure.set(t);
              }
              done.countDown();
            });
      }
      for (FederationGrpc.FederationStub stub : bulk ? List.<FederationGrpc.FederationStub>of() : stubs) {
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
    aggregator.close();
    if (bulkLoops != null) {
      bulkLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
    double bytes = (double) bytesPerUpload * n * measured;
    return new Result(n, measured, bytesPerUpload, bytes / measuredSeconds, bytes / measuredCpuSeconds,
        bytes / (measuredCpuSeconds - measuredJitSeconds));
  }
}
