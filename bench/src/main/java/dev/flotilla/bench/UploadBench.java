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
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
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
    BenchAggregator aggregator = new BenchAggregator(work.resolve("state-" + n), serverFiles, partyFiles, model, rounds);

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
    List<FederationGrpc.FederationStub> stubs = new ArrayList<>();
    for (ManagedChannel ch : aggregator.channels) {
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
    aggregator.close();
    double bytes = (double) bytesPerUpload * n * measured;
    return new Result(n, measured, bytesPerUpload, bytes / measuredSeconds, bytes / measuredCpuSeconds,
        bytes / (measuredCpuSeconds - measuredJitSeconds));
  }
}
