package dev.flotilla.server;

import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.round.Upload;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;

/**
 * One SubmitUpdate stream: its header opens an {@link Upload} (admitted by the coordinator), its
 * data chunks go to the upload as they arrive, its end commits the upload. A refusal ends the stream
 * with the gRPC status that says what was wrong; the round goes on for everyone else.
 */
final class UpdateReceiver implements StreamObserver<UpdateChunk> {

  private final RoundCoordinator coordinator;
  private final String party;
  private final StreamObserver<SubmitUpdateResponse> response;
  private final ServerMetrics metrics;
  private Upload upload;
  private boolean done;

  UpdateReceiver(RoundCoordinator coordinator, String party, StreamObserver<SubmitUpdateResponse> response,
      ServerMetrics metrics) {
    this.coordinator = coordinator;
    this.party = party;
    this.response = response;
    this.metrics = metrics;
  }

  @Override
  public void onNext(UpdateChunk chunk) {
    metrics.bytesIn(chunk.getSerializedSize());
    if (done) {
      return;
    }
    try {
      switch (chunk.getPayloadCase()) {
        case HEADER -> {
          if (upload != null) {
            throw refusal("a second header chunk arrived in the update stream");
          }
          upload = coordinator.beginUpload(party, chunk.getHeader());
        }
        case DATA -> {
          if (upload == null) {
            throw refusal("the first chunk of an update stream must be its header");
          }
          upload.accept(chunk.getData());
        }
        default -> throw refusal("an update chunk carried neither header nor data");
      }
    } catch (StatusException e) {
      fail(e.getStatus(), false);
    } catch (IOException e) {
      fail(serverFailure(e), false);
    }
  }

  @Override
  public void onError(Throwable t) {
    if (done) {
      return;
    }
    done = true;
    if (upload != null) {
      coordinator.failUpload(upload, Status.fromThrowable(t), false, false);
    }
  }

  @Override
  public void onCompleted() {
    if (done) {
      return;
    }
    try {
      if (upload == null) {
        throw refusal("the update stream ended before its header");
      }
      String note = upload.commit();
      coordinator.completeUpload(upload, note);
      done = true;
      response.onNext(SubmitUpdateResponse.newBuilder().setRound(upload.round().number())
          .setValuesReceived(upload.valuesReceived()).build());
      response.onCompleted();
    } catch (StatusException e) {
      fail(e.getStatus(), false);
    } catch (IOException e) {
      // the commit failed half-way on the server's side: the attempt cannot trust its aggregation
      fail(serverFailure(e), true);
    }
  }

  private static StatusException refusal(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asException();
  }

  /** The server could not keep or fold the update: not the party's fault, so not a refusal of it. */
  private Status serverFailure(IOException e) {
    return Status.UNAVAILABLE.withDescription("the server could not take the update of party '" + party + "': "
        + e.getMessage()).withCause(e);
  }

  private void fail(Status status, boolean serverFault) {
    done = true;
    if (upload != null) {
      // refusals of the content count against the party in this round; a closed round or a server fault does not
      Status.Code code = status.getCode();
      boolean refused = code != Status.Code.DEADLINE_EXCEEDED && code != Status.Code.UNAVAILABLE;
      coordinator.failUpload(upload, status, refused, serverFault);
    }
    response.onError(status.asException());
  }
}
