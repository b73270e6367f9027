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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Protocol time per round: the real aggregator runs a job with n parties that speak the protocol
 * and train instantly. On each TrainRequest a party takes the global model (inside the TrainRequest
 * when the server sent it along, as it does for small models, else with FetchModel), and
 * submits it back at once as its update (train_seconds and eval_seconds 0). All of a round's time
 * is then protocol time: the round's start and its TrainRequests, the model downloads, the
 * uploads, their checks and folds, the aggregation, the checkpoint and whatever the coordinator
 * does until the next round's TrainRequests go out.
 *
 * <p>Two figures per round: the party-side cycle (from the first TrainRequest of round r to the
 * first of round r+1, everything included) and the server's own protocolSeconds in the round
 * record (duration minus the critical update's reported training and evaluation time). And, since
 * wall-clock latency on a shared 2-core machine stretches with everyone else's load, the CPU time
 * per round of the server's threads and of the parties' ({@link CpuPerRound}).
 */
final class ProtocolTimeBench {

  /**
   * CPU milliseconds per measured round: the server's threads (its call executor, event loops,
   * state writer and round loop), the parties' (their gRPC client threads, all n in this JVM), and
   * the whole process (JIT and GC included). CPU time is what the load of other work on the machine
   * does not stretch, unlike the wall-clock cycle.
   */
  record CpuPerRound(double serverMillis, double partiesMillis, double processMillis) {}

  record Result(int parties, int measuredRounds, double[] cycleMillis, double[] serverProtocolMillis,
      CpuPerRound cpu) {
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
    // CPU clocks (server, parties, process) at the first TrainRequest of the first and the last measured round
    int cpuFrom = warmUpRounds + 1;
    java.util.concurrent.atomic.AtomicReferenceArray<long[]> cpuAt = new java.util.concurrent.atomic.AtomicReferenceArray<>(2);
    java.util.function.IntConsumer roundStarted = r -> {
      if (r == cpuFrom || r == rounds) {
        cpuAt.set(r == cpuFrom ? 0 : 1, new long[] {CpuClock.threads(ProtocolTimeBench::serverThread),
            CpuClock.threads(ProtocolTimeBench::partyThread), CpuClock.process()});
      }
    };
    CompletableFuture<Void> failure = new CompletableFuture<>();
    try (BenchAggregator aggregator = new BenchAggregator(work.resolve("protocol-state-" + n), serverFiles,
        partyFiles, model, rounds)) {
      for (ManagedChannel ch : aggregator.channels) {
        FederationGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS)
            .join(JoinRequest.newBuilder().setNumSamples(100).build());
        InstantParty party = new InstantParty(FederationGrpc.newStub(ch), specs, firstTrain, roundStarted, failure);
        FederationGrpc.newStub(ch).rounds(RoundsRequest.getDefaultInstance(), party);
      }
      // a failed party call ends the benchmark at once instead of leaving its round to the deadline
      try {
        CompletableFuture.anyOf(aggregator.job, failure).get(10, TimeUnit.MINUTES);
      } catch (ExecutionException e) {
        aggregator.abort();
        throw new IllegalStateException("the job or one of its parties failed", e.getCause());
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
      int cpuRounds = rounds - cpuFrom;
      long[] from = cpuAt.get(0);
      long[] to = cpuAt.get(1);
      CpuPerRound cpu = new CpuPerRound((to[0] - from[0]) / 1e6 / cpuRounds, (to[1] - from[1]) / 1e6 / cpuRounds,
          (to[2] - from[2]) / 1e6 / cpuRounds);
      return new Result(n, measured, cycle, server, cpu);
    }
  }

  /** Threads of the aggregator under test (Linux thread names are cut to 15 characters). */
  private static boolean serverThread(String name) {
    return name.startsWith("grpc-call") || name.startsWith("flotilla-") || name.startsWith("state-writer")
        || name.startsWith("bench-round-loo");
  }

  /** The parties' gRPC client threads (grpc-java's default executor and event loops). */
  private static boolean partyThread(String name) {
    return name.startsWith("grpc-default-ex") || name.startsWith("grpc-nio-worker");
  }

  /**
   * A party that trains instantly: fetch the model, send it back. Fully asynchronous, like n
   * processes, and like the real party one round at a time: a TrainRequest that arrives before the
   * previous round's SubmitUpdate was answered waits for that answer (the server admits one upload
   * per party at a time). Any failed call fails the benchmark at once.
   */
  private static final class InstantParty implements StreamObserver<RoundEvent> {
    private final FederationGrpc.FederationStub stub;
    private final List<TensorSpec> specs;
    private final AtomicLongArray firstTrain;
    private final java.util.function.IntConsumer roundStarted;
    private final CompletableFuture<Void> failure;
    private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);

    InstantParty(FederationGrpc.FederationStub stub, List<TensorSpec> specs, AtomicLongArray firstTrain,
        java.util.function.IntConsumer roundStarted, CompletableFuture<Void> failure) {
      this.stub = stub;
      this.specs = specs;
      this.firstTrain = firstTrain;
      this.roundStarted = roundStarted;
      this.failure = failure;
    }

    @Override
    public void onNext(RoundEvent event) {
      if (!event.hasTrain()) {
        return;
      }
      TrainRequest train = event.getTrain();
      if (firstTrain.compareAndSet(train.getRound(), 0, System.nanoTime())) {
        roundStarted.accept(train.getRound());
      }
      previous = previous.thenCompose(done -> round(train));
    }

    /** Completes when the server answered the round's SubmitUpdate. */
    private CompletableFuture<Void> round(TrainRequest train) {
      CompletableFuture<Void> answered = new CompletableFuture<>();
      answered.whenComplete((v, t) -> {
        if (t != null) {
          failure.completeExceptionally(t);
        }
      });
      if (!train.getModelValues().isEmpty()) { // the server sent the (small) model along, as the real party uses it
        try {
          submit(train.getRound(), ModelAssembler.fromValues(specs, train.getModelVersion(), train.getModelValues())
              .tensors(), answered);
        } catch (Exception e) {
          answered.completeExceptionally(e);
        }
        return answered;
      }
      List<ModelChunk> model = new ArrayList<>();
      stub.fetchModel(FetchModelRequest.newBuilder().setModelVersion(train.getModelVersion()).build(),
          new StreamObserver<>() {
            @Override
            public void onNext(ModelChunk chunk) {
              model.add(chunk);
            }

            @Override
            public void onError(Throwable t) {
              answered.completeExceptionally(new IllegalStateException("FetchModel of round " + train.getRound()
                  + " failed", t));
            }

            @Override
            public void onCompleted() {
              try {
                submit(train.getRound(), ModelAssembler.readAll(specs, model.iterator()).tensors(), answered);
              } catch (Exception e) {
                answered.completeExceptionally(e);
              }
            }
          });
      return answered;
    }

    private void submit(int round, float[][] weights, CompletableFuture<Void> answered) {
      UpdateHeader header = UpdateHeader.newBuilder().setRound(round).setNumSamples(100)
          .putMetrics(MetricNames.TRAIN_SECONDS, 0).putMetrics(MetricNames.EVAL_SECONDS, 0).build();
      StreamObserver<UpdateChunk> out = stub.submitUpdate(new StreamObserver<>() {
        @Override
        public void onNext(SubmitUpdateResponse value) {
        }

        @Override
        public void onError(Throwable t) {
          answered.completeExceptionally(new IllegalStateException("SubmitUpdate of round " + round + " failed", t));
        }

        @Override
        public void onCompleted() {
          answered.complete(null);
        }
      });
      for (Iterator<UpdateChunk> chunks = TensorChunks.updateStream(header, specs, weights); chunks.hasNext(); ) {
        out.onNext(chunks.next());
      }
      out.onCompleted();
    }

    @Override
    public void onError(Throwable t) {
      failure.completeExceptionally(new IllegalStateException("the Rounds stream failed", t));
    }

    @Override
    public void onCompleted() {}
  }
}
