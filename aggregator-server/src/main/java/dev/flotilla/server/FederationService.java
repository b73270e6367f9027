package dev.flotilla.server;

import dev.flotilla.protocol.v1.EvaluationReport;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.FetchModelRequest;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.RoundsRequest;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.model.ModelChunks;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.transport.UploadPermits;
import dev.flotilla.server.model.GlobalModel;
import com.google.protobuf.Empty;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import jakarta.inject.Inject;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicBoolean;

/** The Federation gRPC service: resolves the caller's identity and hands over to the coordinator. */
public final class FederationService extends FederationGrpc.FederationImplBase {

  private final RoundCoordinator coordinator;
  private final CallerIdentity identity;
  private final ServerMetrics metrics;
  private final UploadPermits uploadPermits;

  @Inject
  public FederationService(RoundCoordinator coordinator, CallerIdentity identity, ServerMetrics metrics,
      UploadPermits uploadPermits) {
    this.coordinator = coordinator;
    this.identity = identity;
    this.metrics = metrics;
    this.uploadPermits = uploadPermits;
  }

  private String caller() throws StatusException {
    return identity.current().orElseThrow(() -> Status.UNAUTHENTICATED
        .withDescription("the call carries no verified client certificate identity").asException());
  }

  @Override
  public void join(JoinRequest request, StreamObserver<JoinResponse> response) {
    try {
      response.onNext(coordinator.join(caller(), request));
      response.onCompleted();
    } catch (StatusException e) {
      response.onError(e);
    }
  }

  @Override
  public void rounds(RoundsRequest request, StreamObserver<RoundEvent> response) {
    try {
      String party = caller();
      coordinator.openRoundsStream(party, new GrpcPartyLink(coordinator.jobId(), party,
          (ServerCallStreamObserver<RoundEvent>) response));
    } catch (StatusException e) {
      response.onError(e);
    }
  }

  /** Sends the model chunk by chunk only while the transport is ready (flow control). */
  @Override
  public void fetchModel(FetchModelRequest request, StreamObserver<ModelChunk> response) {
    ServerCallStreamObserver<ModelChunk> stream = (ServerCallStreamObserver<ModelChunk>) response;
    GlobalModel model;
    try {
      model = coordinator.model(caller(), request.getModelVersion());
    } catch (StatusException e) {
      response.onError(e);
      return;
    }
    Iterator<ModelChunk> chunks = ModelChunks.stream(model);
    AtomicBoolean completed = new AtomicBoolean();
    stream.setOnCancelHandler(() -> completed.set(true));
    stream.setOnReadyHandler(() -> {
      while (!completed.get() && stream.isReady() && chunks.hasNext()) {
        ModelChunk chunk = chunks.next();
        metrics.bytesOut(chunk.getSerializedSize());
        stream.onNext(chunk);
      }
      if (!chunks.hasNext() && completed.compareAndSet(false, true)) {
        stream.onCompleted();
      }
    });
  }

  @Override
  public StreamObserver<UpdateChunk> submitUpdate(StreamObserver<SubmitUpdateResponse> response) {
    String party;
    try {
      party = caller();
    } catch (StatusException e) {
      response.onError(e);
      return new StreamObserver<>() {
        @Override
        public void onNext(UpdateChunk value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
    return new UpdateReceiver(coordinator, party, (ServerCallStreamObserver<SubmitUpdateResponse>) response, metrics,
        uploadPermits);
  }

  @Override
  public void declineRound(dev.flotilla.protocol.v1.DeclineRoundRequest request,
      StreamObserver<dev.flotilla.protocol.v1.DeclineRoundResponse> response) {
    try {
      coordinator.declineRound(caller(), request);
      response.onNext(dev.flotilla.protocol.v1.DeclineRoundResponse.newBuilder().setRound(request.getRound())
          .setAttempt(request.getAttempt()).build());
      response.onCompleted();
    } catch (StatusException e) {
      response.onError(e);
    }
  }

  @Override
  public void reportEvaluation(EvaluationReport request, StreamObserver<Empty> response) {
    try {
      coordinator.reportEvaluation(caller(), request);
      response.onNext(Empty.getDefaultInstance());
      response.onCompleted();
    } catch (StatusException e) {
      response.onError(e);
    }
  }
}
