package dev.flotilla.server.round;

import dev.flotilla.protocol.status.DeclineReasons;
import dev.flotilla.protocol.v1.DeclineRoundRequest;
import io.grpc.Status;
import io.grpc.StatusException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A party's DeclineRound: it will not submit for the attempt of its TrainRequest, so the round stops
 * waiting for it (recorded as {@link PartyOutcome.Declined}). Only for itself (the caller's identity, never a
 * name in the message), once per attempt, and not once its update was admitted. Runs under the job's lock.
 */
final class RoundDeclines {

  private static final Logger log = LoggerFactory.getLogger(RoundDeclines.class);

  private final JobState job;

  RoundDeclines(JobState job) {
    this.job = job;
  }

  void decline(String party, DeclineRoundRequest request) throws StatusException {
    String reason = checkedReason(party, request.getReason());
    RoundCollection open = job.current;
    int round = request.getRound();
    int attempt = request.getAttempt();
    if (open == null || open.isClosed() || open.round.number() != round || open.round.attempt() != attempt) {
      throw refused("party '" + party + "' declined round " + round + " attempt " + attempt + ", which is not open in job "
          + job.jobId + (open == null || open.isClosed() ? " (no round is open)"
          : " (round " + open.round.number() + " attempt " + open.round.attempt() + " is)"));
    }
    if (open.secure != null) {
      throw refused("round " + round + " of job " + job.jobId + " is a masked round: party '" + party
          + "' leaves it by ending its MaskedRound stream");
    }
    if (!open.isParticipant(party)) {
      throw refused("party '" + party + "' was not asked to train round " + round + " attempt " + attempt);
    }
    PartyOutcome before = open.outcome(party);
    if (before instanceof PartyOutcome.Declined declined) {
      throw Status.ALREADY_EXISTS.withDescription("party '" + party + "' already declined round " + round + " attempt "
          + attempt + " (" + declined.reason() + ")").asException();
    }
    if (open.hasSubmitted(party) || open.isUploading(party)) {
      throw refused("party '" + party + "' cannot decline round " + round + " attempt " + attempt
          + ": its update for it was already admitted");
    }
    if (before != null) {
      throw refused("party '" + party + "' cannot decline round " + round + " attempt " + attempt + ": its part in it "
          + "already ended (" + before.describe() + ")");
    }
    open.record(party, new PartyOutcome.Declined(reason));
    log.warn("job {}: round {} attempt {}: party {} declined: {}", job.jobId, round, attempt, party, reason);
    job.changed.signalAll();
  }

  private static String checkedReason(String party, String reason) throws StatusException {
    if (reason.isBlank()) {
      throw Status.INVALID_ARGUMENT.withDescription("the decline of party '" + party + "' gives no reason")
          .asException();
    }
    if (reason.length() > DeclineReasons.MAX_CHARS) {
      throw Status.INVALID_ARGUMENT.withDescription("the decline of party '" + party + "' gives a reason of "
          + reason.length() + " characters, more than " + DeclineReasons.MAX_CHARS).asException();
    }
    if (reason.chars().anyMatch(Character::isISOControl)) {
      throw Status.INVALID_ARGUMENT.withDescription("the decline of party '" + party + "' gives a reason with control "
          + "characters").asException();
    }
    return reason;
  }

  private static StatusException refused(String description) {
    return Status.FAILED_PRECONDITION.withDescription(description).asException();
  }
}
