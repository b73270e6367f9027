package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.ModelAssembler;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.EvaluationReport;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.FetchModelRequest;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.RoundsRequest;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A scripted party speaking the real protocol: the test decides what it sends. */
public final class FakeParty {

  public final String name;
  private final FederationGrpc.FederationBlockingStub blocking;
  private final FederationGrpc.FederationStub async;
  public final LinkedBlockingQueue<RoundEvent> events = new LinkedBlockingQueue<>();
  public volatile Throwable roundsError;
  public volatile boolean roundsCompleted;
  private Context.CancellableContext roundsContext;

  public FakeParty(Channel channel, String name) {
    this.name = name;
    Channel ch = ClientInterceptors.intercept(channel, TestIdentity.as(name));
    this.blocking = FederationGrpc.newBlockingStub(ch);
    this.async = FederationGrpc.newStub(ch);
  }

  public JoinResponse join(long samples, String... capabilities) {
    return blocking.withDeadlineAfter(10, TimeUnit.SECONDS).join(JoinRequest.newBuilder().setNumSamples(samples)
        .addAllCapabilities(List.of(capabilities)).build());
  }

  /** Opens the Rounds stream; events land in {@link #events}. */
  public void openRounds() {
    roundsContext = Context.current().withCancellation();
    roundsContext.run(() -> async.rounds(RoundsRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(RoundEvent value) {
        events.add(value);
      }

      @Override
      public void onError(Throwable t) {
        roundsError = t;
      }

      @Override
      public void onCompleted() {
        roundsCompleted = true;
      }
    }));
  }

  /** Drops the Rounds stream, as a dying party's connection would. */
  public void dropRounds() {
    roundsContext.cancel(null);
  }

  public RoundEvent nextEvent() throws InterruptedException {
    RoundEvent e = events.poll(20, TimeUnit.SECONDS);
    if (e == null) {
      throw new AssertionError(name + ": no RoundEvent within 20 s");
    }
    return e;
  }

  /** The next RoundEvent, which must be a TrainRequest. */
  public TrainRequest awaitTrain() throws InterruptedException {
    RoundEvent e = nextEvent();
    assertThat(e.hasTrain()).as(name + " expected a TrainRequest, got " + e).isTrue();
    return e.getTrain();
  }

  /** Joins with a request of the test's making (e.g. announcing a peer endpoint) and opens the Rounds stream. */
  public JoinResponse connect(JoinRequest request) {
    JoinResponse r = blocking.withDeadlineAfter(10, TimeUnit.SECONDS).join(request);
    openRounds();
    return r;
  }

  public JoinResponse connect(long samples, String... capabilities) {
    JoinResponse r = join(samples, capabilities);
    openRounds();
    return r;
  }

  public ModelAssembler.Decoded fetch(List<TensorSpec> specs, long version) throws Exception {
    Iterator<dev.flotilla.protocol.v1.ModelChunk> it = blocking.withDeadlineAfter(20, TimeUnit.SECONDS)
        .fetchModel(FetchModelRequest.newBuilder().setModelVersion(version).build());
    return ModelAssembler.readAll(specs, it);
  }

  public SubmitUpdateResponse submit(int round, long samples, Map<String, Double> metrics, List<TensorSpec> specs,
      float[][] weights) throws Exception {
    UpdateHeader header = UpdateHeader.newBuilder().setRound(round).setNumSamples(samples).putAllMetrics(metrics).build();
    List<UpdateChunk> chunks = new ArrayList<>();
    TensorChunks.updateStream(header, specs, weights).forEachRemaining(chunks::add);
    return submitRaw(chunks);
  }

  /** Sends these chunks and leaves the upload open (never completed); cancel it with {@code onError}. */
  public StreamObserver<UpdateChunk> startUpload(List<UpdateChunk> chunks) {
    StreamObserver<UpdateChunk> out = async.submitUpdate(new StreamObserver<>() {
      @Override
      public void onNext(SubmitUpdateResponse v) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
    chunks.forEach(out::onNext);
    return out;
  }

  /** Sends exactly these chunks; throws the server's StatusRuntimeException on refusal. */
  public SubmitUpdateResponse submitRaw(List<UpdateChunk> chunks) throws Exception {
    CompletableFuture<SubmitUpdateResponse> result = new CompletableFuture<>();
    StreamObserver<UpdateChunk> out = async.withDeadlineAfter(20, TimeUnit.SECONDS).submitUpdate(new StreamObserver<>() {
      SubmitUpdateResponse value;

      @Override
      public void onNext(SubmitUpdateResponse v) {
        value = v;
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete(value);
      }
    });
    for (UpdateChunk c : chunks) {
      out.onNext(c);
    }
    out.onCompleted();
    try {
      return result.get(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof Exception ex) {
        throw ex;
      }
      throw e;
    }
  }

  public dev.flotilla.protocol.v1.DeclineRoundResponse decline(int round, int attempt, String reason) {
    return blocking.withDeadlineAfter(10, TimeUnit.SECONDS).declineRound(dev.flotilla.protocol.v1.DeclineRoundRequest
        .newBuilder().setRound(round).setAttempt(attempt).setReason(reason).build());
  }

  public void reportEvaluation(long version, double accuracy, long samples) {
    blocking.withDeadlineAfter(10, TimeUnit.SECONDS).reportEvaluation(EvaluationReport.newBuilder()
        .setModelVersion(version).putMetrics("accuracy", accuracy).setNumSamples(samples).build());
  }
}
