package dev.flotilla.server.round;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.TensorStreamException;
import dev.flotilla.protocol.tensor.WireEncoding;
import dev.flotilla.protocol.v1.Encoding;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.server.admission.UpdateAdmission;
import io.grpc.Status;
import java.util.List;

/**
 * Whether an update header may start an upload into the open round: the round it names, a
 * duplicate, whether the party was asked, the encoding, the samples it claims, its metrics and its
 * tensor layout. A refusal either leaves the party's standing in the round as it was (a stale
 * round, a duplicate) or ends the party's part in it ({@link Refusal#endsParticipation()}: the
 * round stops waiting for it). Plain values in, a refusal out: no lock, no gRPC call.
 */
final class UploadAdmission {

  /** An update header that may not start an upload. */
  static final class Refusal extends Exception {
    private final Status status;
    private final boolean endsParticipation;

    Refusal(Status.Code code, String description, boolean endsParticipation) {
      super(description, null, false, false);
      this.status = code.toStatus().withDescription(description);
      this.endsParticipation = endsParticipation;
    }

    Status status() {
      return status;
    }

    /** The party's part in the round ends with this refusal (recorded as "rejected: ..."). */
    boolean endsParticipation() {
      return endsParticipation;
    }
  }

  private final String jobId;
  private final UpdateAdmission rules;
  private final List<TensorSpec> specs;
  private final String modelDescription;
  private final WireEncoding encoding;

  UploadAdmission(String jobId, UpdateAdmission rules, List<TensorSpec> specs, String modelDescription) {
    this(jobId, rules, specs, modelDescription, WireEncoding.FLOAT32);
  }

  /** With the job's update encoding (--update-encoding): an update in any other is refused. */
  UploadAdmission(String jobId, UpdateAdmission rules, List<TensorSpec> specs, String modelDescription,
      WireEncoding encoding) {
    this.jobId = jobId;
    this.encoding = encoding;
    this.rules = rules;
    this.specs = List.copyOf(specs);
    this.modelDescription = modelDescription;
  }

  /**
   * @param open the attempt collecting updates, or null when none is
   * @param announced the sample count the party announced at Join
   * @param progress "N of M rounds completed", for the refusal when no round is open
   */
  void check(String party, UpdateHeader header, RoundCollection open, long announced, String progress) throws Refusal {
    if (open == null || open.isClosed()) {
      throw new Refusal(Status.Code.FAILED_PRECONDITION, "update of party '" + party + "' is for round "
          + header.getRound() + " but no round is open in job " + jobId + " (" + progress + ")", false);
    }
    int number = open.round.number();
    if (header.getRound() != number) {
      throw new Refusal(Status.Code.FAILED_PRECONDITION, "update of party '" + party + "' is for round "
          + header.getRound() + " but the current round of job " + jobId + " is " + number, false);
    }
    if (open.hasSubmitted(party)) {
      throw new Refusal(Status.Code.ALREADY_EXISTS, "party '" + party + "' already submitted an update for round "
          + number, false);
    }
    if (open.outcome(party) instanceof PartyOutcome.Declined declined) {
      throw new Refusal(Status.Code.FAILED_PRECONDITION, "party '" + party + "' declined round " + number + " ("
          + declined.reason() + "); it sends no update for it", false);
    }
    if (open.isUploading(party)) {
      throw new Refusal(Status.Code.ALREADY_EXISTS, "party '" + party + "' is already uploading an update for round "
          + number, false);
    }
    if (!open.isParticipant(party)) {
      throw new Refusal(Status.Code.FAILED_PRECONDITION, "party '" + party + "' was not asked to train round " + number
          + " (it has no Rounds stream)", false);
    }
    if (header.getEncoding() == Encoding.FIXED_POINT_MOD_2_32) {
      throw new Refusal(Status.Code.UNIMPLEMENTED, "update encoding " + header.getEncoding()
          + " is not supported by this server; send " + encoding.proto(), true);
    }
    if (header.getEncoding() != encoding.proto()) {
      String sent = header.getEncoding() == Encoding.UNRECOGNIZED ? "unknown (" + header.getEncodingValue() + ")"
          : header.getEncoding().name();
      throw new Refusal(Status.Code.INVALID_ARGUMENT, "update of party '" + party + "' is encoded as " + sent
          + " but job " + jobId + " takes " + encoding.proto() + " updates (--update-encoding "
          + encoding.flagName() + ", announced at Join)", true);
    }
    try {
      rules.checkUpdateSamples(party, header.getNumSamples(), announced);
      rules.checkMetrics("update of party '" + party + "'", header.getMetricsMap());
    } catch (io.grpc.StatusException e) {
      throw new Refusal(e.getStatus().getCode(), e.getStatus().getDescription(), true);
    }
    try {
      TensorChunks.checkLayout(header.getTensorsList(), specs);
    } catch (TensorStreamException e) {
      throw new Refusal(Status.Code.INVALID_ARGUMENT, "update does not match " + modelDescription + ": "
          + e.getMessage(), true);
    }
  }
}
