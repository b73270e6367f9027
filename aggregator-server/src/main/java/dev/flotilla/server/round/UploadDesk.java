package dev.flotilla.server.round;

import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.server.aggregation.UpdateFacts;
import dev.flotilla.server.aggregation.UpdateSink;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where uploads start and end: an admitted header opens an {@link Upload} into the open attempt's
 * aggregation; a committed upload is recorded as submitted, a failed one is discarded and, when the
 * server refused its content, recorded as refused (the round stops waiting for the party). Runs
 * under the job's lock; the chunks in between do not take it.
 */
final class UploadDesk {

  private static final Logger log = LoggerFactory.getLogger(UploadDesk.class);

  private final JobState job;
  private final UploadAdmission admission;

  UploadDesk(JobState job, UploadAdmission admission) {
    this.job = job;
    this.admission = admission;
  }

  /** Admits an update header and opens its upload; refusals carry what was wrong. */
  Upload begin(String name, UpdateHeader header) throws StatusException {
    RoundCollection open = job.current;
    try {
      admission.check(name, header, open, job.parties.get(name).numSamples,
          job.roundsCompleted + " of " + job.config.rounds() + " rounds completed");
    } catch (UploadAdmission.Refusal r) {
      if (r.endsParticipation()) {
        open.record(name, new PartyOutcome.Refused(r.status().getDescription()));
        job.changed.signalAll();
      }
      throw refused(r.status());
    }
    UpdateSink sink;
    try {
      sink = open.aggregation.open(name, new UpdateFacts(header.getNumSamples(), header.getMetricsMap(),
          job.config.localEpochs()));
    } catch (StatusException e) {
      open.record(name, new PartyOutcome.Refused(e.getStatus().getDescription()));
      job.changed.signalAll();
      throw refused(e.getStatus());
    } catch (IOException e) {
      throw Status.UNAVAILABLE.withDescription("the server cannot take the update of party '" + name + "' now: "
          + e.getMessage()).withCause(e).asException();
    }
    Upload upload = new Upload(job.jobId, name, open.round, header.getNumSamples(), header.getMetricsMap(), job.specs,
        job.config.updateEncoding(), sink);
    open.startUpload(upload);
    return upload;
  }

  /** Records a committed upload as submitted (unless closing the round already did). */
  void complete(Upload upload, String note) {
    RoundCollection open = job.current;
    if (open != null && open.round.equals(upload.round())) {
      open.endUpload(upload);
      accepted(open, upload, note);
    }
    job.changed.signalAll();
  }

  /** A committed upload counts in its attempt: recorded once, logged with the strategy's note. */
  void accepted(RoundCollection collection, Upload upload, String note) {
    if (collection.hasSubmitted(upload.party())) {
      return;
    }
    collection.record(upload.party(), new PartyOutcome.Submitted(upload.samples(), upload.metrics()));
    job.metrics.updateAccepted();
    // the round's line names every aggregated party; a line per update is for debugging, unless the
    // strategy changed the update (e.g. clipped it), which an operator should see
    if (!note.isEmpty() || log.isDebugEnabled()) {
      String line = "job {}: round {}: update of party {} accepted ({} samples, {} values, metrics {}{})";
      Object[] args = {job.jobId, upload.round().number(), upload.party(), upload.samples(), upload.valuesReceived(),
          upload.metrics(), note.isEmpty() ? "" : ", " + note};
      if (note.isEmpty()) {
        log.debug(line, args);
      } else {
        log.info(line, args);
      }
    }
  }

  /**
   * Records an upload that failed (the caller discarded it, {@code discarded} false when it had
   * committed first): refused by the server ({@code refused}: the round stops waiting for the
   * party), broken off by the client, or failed on the server's side ({@code serverFault}: whatever
   * reached the aggregation may not have been taken back, so the attempt is tainted).
   */
  void fail(Upload upload, Status status, boolean refused, boolean serverFault, boolean discarded) {
    RoundCollection open = job.current;
    boolean ours = open != null && open.round.equals(upload.round());
    if (ours) {
      open.endUpload(upload);
    }
    if (ours && !discarded) {
      accepted(open, upload, "");
    } else if (ours && serverFault) {
      open.taint(upload.party(), "part of the update of party '" + upload.party() + "' may be in the aggregation ("
          + status.getCode() + ": " + status.getDescription() + ")");
      log.warn("job {}: round {}: {}; the round will be retried", job.jobId, upload.round().number(), open.taint());
    }
    if (refused && discarded) {
      if (ours) {
        open.record(upload.party(), new PartyOutcome.Refused(status.getDescription()));
      }
      job.metrics.updateRejected(status.getCode());
      log.warn("job {}: round {}: update of party {} rejected: {} {}", job.jobId, upload.round().number(),
          upload.party(), status.getCode(), status.getDescription());
    } else {
      log.warn("job {}: round {}: upload of party {} broke off: {} {}", job.jobId, upload.round().number(),
          upload.party(), status.getCode(), status.getDescription());
    }
    job.changed.signalAll();
  }

  /**
   * Records how the uploads still in flight when an attempt closed ended: an upload that committed
   * before its discard counts; one that could not be taken back taints the attempt.
   */
  void closed(RoundCollection collection, Map<Upload, Boolean> discarded, Map<Upload, IOException> failed) {
    discarded.forEach((u, wasDiscarded) -> {
      if (!wasDiscarded) {
        accepted(collection, u, "");
      }
    });
    failed.forEach((u, e) -> collection.taint(u.party(), "the update of party '" + u.party() + "' could not be "
        + "taken back when round " + collection.round.number() + " closed: " + e.getMessage()));
  }

  /** A refusal that does not change the party's standing in the round (e.g. a stale round). */
  StatusException refused(Status status) {
    job.metrics.updateRejected(status.getCode());
    log.warn("job {}: refused: {} {}", job.jobId, status.getCode(), status.getDescription());
    return status.asException();
  }
}
