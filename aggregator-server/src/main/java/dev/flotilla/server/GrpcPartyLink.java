package dev.flotilla.server;

import dev.flotilla.protocol.v1.Finished;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.round.PartyLink;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A party's Rounds stream over gRPC. The coordinator calls it under its lock, one call at a time. */
final class GrpcPartyLink implements PartyLink {

  private static final Logger log = LoggerFactory.getLogger(GrpcPartyLink.class);

  private final String jobId;
  private final String party;
  private final ServerCallStreamObserver<RoundEvent> stream;

  GrpcPartyLink(String jobId, String party, ServerCallStreamObserver<RoundEvent> stream) {
    this.jobId = jobId;
    this.party = party;
    this.stream = stream;
  }

  @Override
  public void train(TrainRequest request) {
    send(RoundEvent.newBuilder().setTrain(request).build());
  }

  @Override
  public void finish(Finished finished) {
    send(RoundEvent.newBuilder().setFinished(finished).build());
    try {
      stream.onCompleted();
    } catch (RuntimeException e) {
      log.debug("job {}: closing the Rounds stream of {}: {}", jobId, party, e.toString());
    }
  }

  @Override
  public void refuse(Status status) {
    try {
      stream.onError(status.asException());
    } catch (RuntimeException e) {
      log.debug("job {}: ending the Rounds stream of {}: {}", jobId, party, e.toString());
    }
  }

  @Override
  public void whenGone(Runnable gone) {
    stream.setOnCancelHandler(gone);
  }

  private void send(RoundEvent event) {
    try {
      stream.onNext(event);
    } catch (RuntimeException e) {
      // the stream died between the check and the send; its cancel handler marks the party gone
      log.warn("job {}: cannot send to party {}: {}", jobId, party, e.toString());
    }
  }
}
