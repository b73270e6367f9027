package dev.flotilla.bench;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.MetricNames;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.tensor.ModelAssembler;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.FetchModelRequest;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.RoundsRequest;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Protocol time per round: the real aggregator runs a job with n parties that speak the protocol
 * and train instantly. On each TrainRequest a party fetches the global model (FetchModel), and
 * submits it back at once as its update (train_seconds and eval_seconds 0). All of a round's time
 * is then protocol time: the round's start and its TrainRequests, the model downloads, the
 * uploads, their checks and folds, the aggregation, the checkpoint and whatever the coordinator
 * does until the next round's TrainRequests go out.
 *
 * <p>Two figures per round: the party-side cycle (from the first TrainRequest of round r to the
 * first of round r+1, everything included) and the server's own protocolSeconds in the round
 * record (duration minus the critical update's reported training and evaluation time).
 */
final class ProtocolTimeBench {

  record Result(int parties, int measuredRounds, double[] cycleMillis, double[] serverProtocolMillis) {
    static double median(double[] v) {
      double[] s = v.clone();
      Arrays.sort(s);
      return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double max(double[] v) {
      return Arrays.stream(v).max().orElse(Double.NaN);
    }
  }

  static Result run(Path work, TlsFiles serverFiles, List<TlsFiles> partyFiles, String model, int rounds,
      int warmUpRounds) throws Exception {
    int n = partyFiles.size();
    List<TensorSpec> specs = ModelSpecs.forName(model);
    // index r: nanoTime of the first TrainRequest of round r that any party saw
    AtomicLongArray firstTrain = new AtomicLongArray(rounds + 2);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (BenchAggregator aggregator = new BenchAggregator(work.resolve("protocol-state-" + n), serverFiles,
        partyFiles, model, rounds)) {
      for (ManagedChannel ch : aggregator.channels) {
        FederationGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS)
            .join(JoinRequest.newBuilder().setNumSamples(100).build());
        InstantParty party = new InstantParty(FederationGrpc.newStub(ch), specs, firstTrain, failure);
        FederationGrpc.newStub(ch).rounds(RoundsRequest.getDefaultInstance(), party);
      }
      aggregator.job.get(10, TimeUnit.MINUTES);
      if (failure.get() != null) {
        throw new IllegalStateException("a party failed", failure.get());
      }
      List<RoundRecord> records = aggregator.coordinator.status().rounds();
      int measured = rounds - warmUpRounds - 1; // the last round has no next TrainRequest
      double[] cycle = new double[measured];
      double[] server = new double[measured];
      for (int i = 0; i < measured; i++) {
        int r = warmUpRounds + 1 + i;
        cycle[i] = (firstTrain.get(r + 1) - firstTrain.get(r)) / 1e6;
        RoundRecord record = records.stream().filter(x -> x.round() == r).findFirst().orElseThrow();
        server[i] = record.protocolSeconds() == null ? Double.NaN : record.protocolSeconds() * 1e3;
      }
      return new Result(n, measured, cycle, server);
    }
  }

  /** A party that trains instantly: fetch the model, send it back. Fully asynchronous, like n processes. */
  private static final class InstantParty implements StreamObserver<RoundEvent> {
    private final FederationGrpc.FederationStub stub;
    private final List<TensorSpec> specs;
    private final AtomicLongArray firstTrain;
    private final AtomicReference<Throwable> failure;

    InstantParty(FederationGrpc.FederationStub stub, List<TensorSpec> specs, AtomicLongArray firstTrain,
        AtomicReference<Throwable> failure) {
      this.stub = stub;
      this.specs = specs;
      this.firstTrain = firstTrain;
      this.failure = failure;
    }

    @Override
    public void onNext(RoundEvent event) {
      if (!event.hasTrain()) {
        return;
      }
      TrainRequest train = event.getTrain();
      firstTrain.compareAndSet(train.getRound(), 0, System.nanoTime());
      List<ModelChunk> model = new ArrayList<>();
      stub.fetchModel(FetchModelRequest.newBuilder().setModelVersion(train.getModelVersion()).build(),
          new StreamObserver<>() {
            @Override
            public void onNext(ModelChunk chunk) {
              model.add(chunk);
            }

            @Override
            public void onError(Throwable t) {
              failure.compareAndSet(null, t);
            }

            @Override
            public void onCompleted() {
              try {
                submit(train.getRound(), ModelAssembler.readAll(specs, model.iterator()).tensors());
              } catch (Exception e) {
                failure.compareAndSet(null, e);
              }
            }
          });
    }

    private void submit(int round, float[][] weights) {
      UpdateHeader header = UpdateHeader.newBuilder().setRound(round).setNumSamples(100)
          .putMetrics(MetricNames.TRAIN_SECONDS, 0).putMetrics(MetricNames.EVAL_SECONDS, 0).build();
      StreamObserver<UpdateChunk> out = stub.submitUpdate(new StreamObserver<>() {
        @Override
        public void onNext(SubmitUpdateResponse value) {}

        @Override
        public void onError(Throwable t) {
          failure.compareAndSet(null, t);
        }

        @Override
        public void onCompleted() {}
      });
      for (Iterator<UpdateChunk> chunks = TensorChunks.updateStream(header, specs, weights); chunks.hasNext(); ) {
        out.onNext(chunks.next());
      }
      out.onCompleted();
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
