package dev.flotilla.server.round;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.TensorStreamDecoder;
import dev.flotilla.protocol.tensor.TensorStreamException;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.server.admission.NormBound;
import dev.flotilla.server.metrics.ServerMetrics;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SubmitUpdate stream. Each data chunk is checked (size, alignment, room in the model, finite
 * values) on arrival, and nothing reaches the round's running sum before the stream completed: an
 * update refused or broken off at any point leaves no trace, so one party cannot void a round the
 * others already uploaded to (the sender chooses its chunk sizes, so "a model of one chunk" is
 * no guarantee). An update that arrives as one chunk is held in memory until the end; from its
 * second chunk on, and from the first with --max-update-norm, the chunks go to a
 * {@link SpooledUpdate} (memory O(chunk), disk one update per party), and the whole update is
 * folded on completion, clipped or refused by its distance from the global model when bounded.
 */
public final class UpdateReceiver implements StreamObserver<UpdateChunk> {

  private static final Logger log = LoggerFactory.getLogger(UpdateReceiver.class);

  private final RoundCoordinator coordinator;
  private final String party;
  private final StreamObserver<SubmitUpdateResponse> response;
  private final TensorStreamDecoder decoder;
  private final ServerMetrics metrics;
  private Upload upload;
  private ByteString pending;
  private SpooledUpdate spool;
  private boolean done;

  public UpdateReceiver(RoundCoordinator coordinator, String party, StreamObserver<SubmitUpdateResponse> response,
      ServerMetrics metrics) {
    this.coordinator = coordinator;
    this.metrics = metrics;
    this.party = party;
    this.response = response;
    this.decoder = new TensorStreamDecoder(coordinator.specs());
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
            throw reject(Status.INVALID_ARGUMENT, "a second header chunk arrived in the update stream");
          }
          upload = coordinator.beginUpload(party, chunk.getHeader());
          if (coordinator.normBound() != null) {
            spool = SpooledUpdate.create(coordinator.spoolDirectory(), upload.baseModel());
          }
        }
        case DATA -> {
          if (upload == null) {
            throw reject(Status.INVALID_ARGUMENT, "the first chunk of an update stream must be its header");
          }
          ByteString data = chunk.getData();
          long pendingValues = pending == null ? 0 : pending.size() / Float.BYTES;
          try {
            decoder.check(data, pendingValues);
          } catch (TensorStreamException e) {
            Status code = data.size() % Float.BYTES != 0 && data.size() <= TensorChunks.MAX_CHUNK_BYTES
                ? Status.INVALID_ARGUMENT : Status.RESOURCE_EXHAUSTED;
            throw reject(code, "update of party '" + party + "' refused: " + e.getMessage());
          }
          int bad = TensorChunks.firstNonFinite(data);
          if (bad >= 0) {
            float value = data.asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat(bad * Float.BYTES);
            throw reject(Status.INVALID_ARGUMENT, "update of party '" + party + "' refused: "
                + decoder.describe(decoder.valuesReceived() + pendingValues + bad) + " is " + value);
          }
          if (spool == null && pending != null) {
            // a second chunk: from here on the update waits on disk, not in the sum
            spool = SpooledUpdate.create(coordinator.spoolDirectory(), upload.baseModel());
            spool.append(pending, decoder);
            pending = null;
          }
          if (spool != null) {
            spool.append(data, decoder);
          } else {
            pending = data;
          }
        }
        default -> throw reject(Status.INVALID_ARGUMENT, "an update chunk carried neither header nor data");
      }
    } catch (StatusException e) {
      fail(e.getStatus());
    } catch (IOException e) {
      fail(spoolFailure(e));
    }
  }

  @Override
  public void onError(Throwable t) {
    if (done) {
      return;
    }
    done = true;
    discardSpool();
    if (upload != null) {
      coordinator.failUpload(upload, Status.fromThrowable(t), false);
    }
  }

  @Override
  public void onCompleted() {
    if (done) {
      return;
    }
    try {
      if (upload == null) {
        throw reject(Status.INVALID_ARGUMENT, "the update stream ended before its header");
      }
      long pendingValues = pending == null ? 0 : pending.size() / Float.BYTES;
      long total = decoder.valuesReceived() + pendingValues;
      if (total != decoder.valuesExpected()) {
        throw reject(Status.INVALID_ARGUMENT, "update of party '" + party + "' ended after " + total + " of "
            + decoder.valuesExpected() + " float32 values");
      }
      String note = "";
      NormBound bound = coordinator.normBound();
      if (spool != null) {
        double distance = spool.distance();
        double scale = bound == null ? 1 : bound.scale(party, distance);
        coordinator.foldSpooled(upload, spool, scale);
        if (bound != null) {
          note = scale < 1 ? String.format(Locale.ROOT, ", clipped from L2 distance %.6g to %s", distance, bound.max())
              : String.format(Locale.ROOT, ", L2 distance %.6g", distance);
        }
        discardSpool();
      } else if (pending != null) {
        coordinator.fold(upload, pending, decoder);
        pending = null;
      }
      coordinator.completeUpload(upload, decoder.valuesReceived(), note);
      done = true;
      response.onNext(SubmitUpdateResponse.newBuilder().setRound(upload.roundNumber())
          .setValuesReceived(decoder.valuesReceived()).build());
      response.onCompleted();
    } catch (StatusException e) {
      fail(e.getStatus());
    } catch (IOException e) {
      fail(spoolFailure(e));
    }
  }

  private StatusException reject(Status code, String description) {
    return code.withDescription(description).asException();
  }

  /** The server could not keep or read back the spooled update: not the party's fault, so not a refusal of it. */
  private Status spoolFailure(Exception e) {
    return Status.UNAVAILABLE.withDescription("the server could not spool the update of party '" + party + "': "
        + e.getMessage()).withCause(e);
  }

  private void discardSpool() {
    if (spool == null) {
      return;
    }
    try {
      spool.close();
    } catch (IOException e) {
      log.warn("cannot delete a spooled update of party {}: {}", party, e.toString());
    }
    spool = null;
  }

  private void fail(Status status) {
    done = true;
    pending = null;
    discardSpool();
    if (upload != null) {
      // refusals of the content count against the party in this round; a closed round or a server fault does not
      Status.Code code = status.getCode();
      coordinator.failUpload(upload, status, code != Status.Code.DEADLINE_EXCEEDED && code != Status.Code.UNAVAILABLE);
    }
    response.onError(status.asException());
  }
}
