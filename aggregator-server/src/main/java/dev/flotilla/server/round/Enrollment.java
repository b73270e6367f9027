package dev.flotilla.server.round;

import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.Finished;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.server.admission.UpdateAdmission;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who belongs to the job and how to reach them: Join, the admission of a call at its start, the
 * Rounds stream of each party ({@link PartyLink}), and taking back slots (allow-list changes,
 * parties gone longer than --reconnect-grace). Every method runs under the job's lock.
 */
final class Enrollment {

  private static final Logger log = LoggerFactory.getLogger(Enrollment.class);

  private final JobState job;
  private final UpdateAdmission rules;

  Enrollment(JobState job, UpdateAdmission rules) {
    this.job = job;
    this.rules = rules;
  }

  JoinResponse join(String name, JoinRequest request) throws StatusException {
    tidy();
    job.parties.requireAllowed(name);
    rules.checkJoin(name, request.getNumSamples());
    String maskRefusal = job.config.secureAggregation()
        ? dev.flotilla.protocol.secagg.SecAggParams.joinRefusal(request.getCapabilitiesList()) : null;
    if (maskRefusal != null) {
      throw Status.INVALID_ARGUMENT.withDescription("job " + job.jobId + " runs --secure-aggregation and party '" + name
          + "' " + maskRefusal).asException();
    }
    PeerDirectory.Published peerEndpoint = PeerDirectory.announced(request);
    Party party = job.parties.get(name);
    if (party == null) {
      requireRoomFor(name);
      party = job.parties.take(name, request.getNumSamples());
      log.info("job {}: party {} joined (index {}, {} samples)", job.jobId, name, party.index, request.getNumSamples());
      job.writeStatus();
    } else {
      if (party.connected()) {
        throw Status.ALREADY_EXISTS.withDescription("party '" + name + "' is already connected to job " + job.jobId
            + " (a live Rounds stream has the same identity)").asException();
      }
      party.numSamples = request.getNumSamples();
      log.info("job {}: party {} rejoined (index {}, {} samples)", job.jobId, name, party.index,
          request.getNumSamples());
    }
    job.peers.put(name, peerEndpoint);
    party.bulkUpload = request.getCapabilitiesList().contains(dev.flotilla.protocol.bulk.BulkWire.CAPABILITY);
    job.changed.signalAll();
    return JoinResponse.newBuilder()
        .setJobId(job.jobId)
        .setStrategy(job.strategy.name())
        .setRounds(job.config.rounds())
        .setModel(job.source.name())
        .setPartyIndex(party.index)
        .setCurrentRound(job.roundsCompleted)
        .setFedproxMu(job.strategy.proximalMu())
        .setLocalEpochs(job.config.localEpochs())
        .setPartyName(name)
        .setMaxMessageBytes(job.config.maxMessageBytes())
        .setUpdateEncoding(job.config.updateEncoding().proto())
        .addAllTensors(TensorChunks.infos(job.specs))
        .setBulkUploadPort(party.bulkUpload ? job.tickets.port() : 0)
        .build();
  }

  /**
   * Whether a call of the party may start at all: a party off the allow-list may call nothing; a
   * party without a slot may only call Join, and not even that while the job is full or finished.
   */
  void authorize(String name, boolean join) throws StatusException {
    tidy();
    job.parties.requireAllowed(name);
    if (job.parties.holds(name)) {
      return;
    }
    if (!join) {
      throw Status.PERMISSION_DENIED.withDescription(notMember(name)).asException();
    }
    requireRoomFor(name);
  }

  /** A party without a slot may take one: the job has not finished and a slot is free (callers tidied). */
  private void requireRoomFor(String name) throws StatusException {
    if (job.finished) {
      throw Status.FAILED_PRECONDITION.withDescription("job " + job.jobId + " has finished (" + job.roundsCompleted
          + " rounds); it takes no new parties").asException();
    }
    job.parties.requireFreeSlot();
  }

  String notMember(String name) {
    return "party '" + name + "' is not a member of job " + job.jobId + " (it has not joined, or its slot was "
        + "released)";
  }

  /**
   * Re-reads the allow-list file if it changed and takes back the slots of parties it no longer
   * names or that have been gone longer than --reconnect-grace (not while the job is finished, when
   * known parties come back for the final model, nor from a party with an upload in flight).
   */
  void tidy() {
    boolean listChanged = job.parties.allowList().refresh();
    RoundCollection open = job.current;
    List<Party> released = job.parties.releaseExpired(p -> job.finished || (open != null && open.isUploading(p.name)));
    for (Party p : released) {
      job.awaitingFinalEvaluation.remove(p.name);
      job.peers.forget(p.name);
      job.excludedUntilRoundCompletes.remove(p.name);
      PartyLink link = p.unlink(job.clock.instant());
      if (link != null) {
        link.refuse(Status.PERMISSION_DENIED.withDescription("party '" + p.name + "' lost its slot in job "
            + job.jobId + ": it is no longer on its " + job.parties.allowList().source() + " list"));
      }
    }
    if (!released.isEmpty()) {
      job.updateConnectedGauge();
      job.changed.signalAll();
    }
    if (!released.isEmpty() || listChanged) {
      job.writeStatus();
    }
  }

  /** A party's Rounds stream opened: it is connected, and takes part in the open round (or gets Finished). */
  void connect(String name, PartyLink link) throws StatusException {
    Party party = job.parties.get(name);
    if (party == null) {
      throw Status.FAILED_PRECONDITION.withDescription("party '" + name + "' has not joined job " + job.jobId
          + "; call Join first").asException();
    }
    if (party.connected()) {
      throw Status.ALREADY_EXISTS.withDescription("party '" + name + "' already has a live Rounds stream in job "
          + job.jobId).asException();
    }
    party.link = link;
    party.goneSince = null;
    job.updateConnectedGauge();
    log.info("job {}: party {} connected ({} connected)", job.jobId, name, job.parties.connectedCount());
    RoundCollection open = job.current;
    if (job.finished) {
      job.awaitingFinalEvaluation.add(name);
      finish(party);
    } else if (open != null && open.secure != null && !open.isClosed()) {
      // a masked round's roster, keys and neighbour graph are fixed when it starts: a TrainRequest now
      // would carry no assignment, and the party would be counted in the round while in neither of its lists
      log.info("job {}: party {} connected during the masked round {} (attempt {}); it takes part from the next one",
          job.jobId, name, open.round.number(), open.round.attempt());
    } else if (open != null && !open.isClosed() && !open.hasSubmitted(name)
        && !job.excludedUntilRoundCompletes.contains(name)
        && (job.sampling == null || open.isParticipant(name))) {
      // (in a DP round only a sampled party, back from a broken connection: a second draw would raise its chance)
      // a late joiner or a party back from a broken connection takes part in the open round
      open.addParticipant(name);
      job.train(party, open.round, job.peers.withRoster(job.trainRequest(open.round), open.participants()));
    }
    job.changed.signalAll();
  }

  /** The party's link is gone (if it is still its current one). */
  void disconnected(String name, PartyLink link) {
    Party party = job.parties.get(name);
    if (party != null && party.link == link) {
      party.unlink(job.clock.instant());
      job.updateConnectedGauge();
      log.warn("job {}: party {} disconnected ({} connected)", job.jobId, name, job.parties.connectedCount());
      job.changed.signalAll();
    }
  }

  /** Sends Finished and ends the party's Rounds stream. */
  void finish(Party party) {
    PartyLink link = party.unlink(job.clock.instant());
    job.updateConnectedGauge();
    if (link != null) {
      link.finish(Finished.newBuilder().setRoundsCompleted(job.roundsCompleted)
          .setModelVersion(job.model.version()).build());
    }
  }
}
