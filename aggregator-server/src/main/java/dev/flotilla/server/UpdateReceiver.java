package dev.flotilla.server;

import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.round.Upload;
import io.grpc.Status;
import io.grpc.StatusException;
import dev.flotilla.server.transport.UploadPermits;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SubmitUpdate stream: its header opens an {@link Upload} (admitted by the coordinator), its
 * data chunks go to the upload as they arrive, its end commits the upload. A refusal ends the stream
 * with the gRPC status that says what was wrong; the round goes on for everyone else.
 *
 * <p>Messages are pulled one at a time (manual flow control): the header at once, the data only
 * while the stream holds one of the {@link UploadPermits}, which bound how many uploads (and so
 * spool files on disk) are in progress at once.
 */
final class UpdateReceiver implements StreamObserver<UpdateChunk> {

  private static final Logger log = LoggerFactory.getLogger(UpdateReceiver.class);

  private final RoundCoordinator coordinator;
  private final String party;
  private final ServerCallStreamObserver<SubmitUpdateResponse> response;
  private final ServerMetrics metrics;
  private final UploadPermits permits;
  private UploadPermits.Permit permit;
  private Upload upload;
  private boolean done;

  /** Must be made inside the service method: it switches the call to manual flow control. */
  UpdateReceiver(RoundCoordinator coordinator, String party, ServerCallStreamObserver<SubmitUpdateResponse> response,
      ServerMetrics metrics, UploadPermits permits) {
    this.coordinator = coordinator;
    this.party = party;
    this.response = response;
    this.metrics = metrics;
    this.permits = permits;
    response.disableAutoRequest();
    response.request(1); // the header
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
          permit = permits.request(() -> response.request(1));
          if (permit.granted()) {
            log.debug("job {}: round {}: the upload of party {} is being read", upload.jobId(), upload.round().number(),
                party);
          } else {
            log.info("job {}: round {}: the upload of party {} waits for one of the --max-concurrent-uploads ({} in "
                + "progress, {} waiting)", upload.jobId(), upload.round().number(), party, permits.inUse(),
                permits.waiting());
          }
        }
        case DATA -> {
          if (upload == null) {
            throw refusal("the first chunk of an update stream must be its header");
          }
          upload.accept(chunk.getData());
          response.request(1);
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
    releasePermit();
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
      releasePermit();
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
    return serverFailure(party, e);
  }

  static Status serverFailure(String party, IOException e) {
    return Status.UNAVAILABLE.withDescription("the server could not take the update of party '" + party + "': "
        + e.getMessage()).withCause(e);
  }

  /**
   * Whether a failed upload's status refuses its content (it counts against the party in this
   * round); a closed round or a server fault does not.
   */
  static boolean refusesContent(Status status) {
    Status.Code code = status.getCode();
    return code != Status.Code.DEADLINE_EXCEEDED && code != Status.Code.UNAVAILABLE;
  }

  private void releasePermit() {
    if (permit != null) {
      permit.release();
    }
  }

  private void fail(Status status, boolean serverFault) {
    done = true;
    releasePermit();
    if (upload != null) {
      coordinator.failUpload(upload, status, refusesContent(status), serverFault);
    }
    response.onError(status.asException());
  }
}
