package dev.flotilla.server.round;

import dev.flotilla.common.logging.LogContext;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.status.RoundTimes;
import dev.flotilla.server.aggregation.RoundAggregation;
import dev.flotilla.server.model.GlobalModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's rounds, each shaped configure, collect, aggregate (as Flower's strategies are):
 * configure asks every connected party (or a --fraction of them, {@link PartySampling}) to train (TrainRequest over its {@link PartyLink}); collect
 * waits until every participant submitted, declined, was refused or is gone, or declines leave too few for
 * --min-parties, or the deadline; aggregate
 * turns the committed updates into the next global model when at least --min-parties arrived, else
 * the round is retried. After the last round: Finished, the final export, the wait for final
 * evaluations. Holds the job's lock except while waiting, aggregating or waiting for the disk.
 */
final class RoundLoop {

  private static final Logger log = LoggerFactory.getLogger(RoundLoop.class);
  /** The loop wakes at least this often to take back slots of parties gone for good. */
  private static final Duration HOUSEKEEPING = Duration.ofSeconds(1);

  private final JobState job;
  private final Enrollment enrollment;
  private final UploadDesk uploads;
  private final Path spillDirectory;
  /** late/dropped parties of failed attempts of the round in progress, kept for its record. */
  private final Map<String, String> retriedLateOrDropped = new TreeMap<>();
  private int attemptsOfCurrentRound;
  private boolean firstRoundOfProcess = true;
  /** Completes when the state writer has written everything of the versions before the current one. */
  private java.util.concurrent.CompletableFuture<Void> writtenBeforeCurrentVersion =
      java.util.concurrent.CompletableFuture.completedFuture(null);

  RoundLoop(JobState job, Enrollment enrollment, UploadDesk uploads, Path spillDirectory) {
    this.job = job;
    this.enrollment = enrollment;
    this.uploads = uploads;
    this.spillDirectory = spillDirectory;
  }

  /** Runs the job to its end; the final export and checkpoint are on disk when it returns. */
  void run() throws InterruptedException, IOException {
    job.lock.lock();
    try {
      job.writeStatus();
      boolean finishedHere = false;
      while (job.roundsCompleted < job.config.rounds()) {
        if (budgetExhausted()) {
          break;
        }
        job.writer.requireHealthy();
        awaitQuorum();
        runRound();
        finishedHere = true;
      }
      finishJob(finishedHere);
    } finally {
      job.lock.unlock();
    }
  }

  /**
   * Whether the next round would take epsilon beyond the job's privacy budget; if so, the job ends
   * here with that reason (in its status and termination message). The rounds completed are charged
   * with the settings each ran (the ledger, kept in the checkpoint), the next one with the current settings.
   */
  private boolean budgetExhausted() {
    String refusal = job.privacy == null ? null : job.privacy.refusal(job.spent);
    if (refusal == null) {
      return false;
    }
    job.endReason = refusal;
    log.warn("job {}: {}; the job ends after {} of {} rounds", job.jobId, refusal, job.roundsCompleted,
        job.config.rounds());
    return true;
  }

  private void awaitQuorum() throws InterruptedException {
    var config = job.config;
    if (!job.excludedUntilRoundCompletes.isEmpty()) {
      long eligible = job.parties.all().stream()
          .filter(p -> p.connected() && !job.excludedUntilRoundCompletes.contains(p.name)).count();
      if (eligible < config.minParties()) {
        log.warn("job {}: only {} parties besides {} are connected, fewer than --min-parties {}; asking them again",
            job.jobId, eligible, job.excludedUntilRoundCompletes, config.minParties());
        job.excludedUntilRoundCompletes.clear();
      }
    }
    int wanted = firstRoundOfProcess ? config.expectedParties() : config.minParties();
    Instant graceEnd = null;
    Instant nextLog = job.clock.instant();
    while (true) {
      enrollment.tidy();
      int connected = job.parties.connectedCount();
      if (connected >= wanted) {
        break;
      }
      Instant now = job.clock.instant();
      if (connected >= config.minParties()) {
        if (graceEnd == null) {
          graceEnd = now.plus(config.joinGrace());
          log.info("job {}: {} of {} expected parties connected; starting in {} unless the rest connect", job.jobId,
              connected, wanted, config.joinGrace());
        }
        if (!now.isBefore(graceEnd)) {
          break;
        }
        job.awaitChange(graceEnd, HOUSEKEEPING);
      } else {
        if (!now.isBefore(nextLog)) {
          log.info("job {}: waiting for parties: {} connected, {} needed to start round {}", job.jobId, connected,
              config.minParties(), job.roundsCompleted + 1);
          nextLog = now.plusSeconds(30);
        }
        job.awaitChange(now.plus(HOUSEKEEPING), HOUSEKEEPING);
      }
    }
    firstRoundOfProcess = false;
  }

  private void runRound() throws InterruptedException, IOException {
    long startedNanos = System.nanoTime();
    RoundCollection collection = configure();
    collect(collection);
    Map<String, String> lateOrDropped = new TreeMap<>(retriedLateOrDropped);
    lateOrDropped.putAll(collection.lateOrDropped(job.parties::isConnected));
    Map<String, PartyOutcome.Submitted> submitted = collection.submitted();
    int round = collection.round.number();
    // a DP round is released whatever arrived (its fixed denominator needs no quorum): retrying until
    // enough parties answered would make a party's chance of being in the released round exceed the sampling rate
    String failure = collection.taint() != null ? collection.taint()
        : job.privacy == null && submitted.size() < job.config.minParties()
            ? submitted.size() + " updates arrived, --min-parties is " + job.config.minParties() : null;
    if (failure == null) {
      awaitWrittenBeforeCurrentVersion();
    }
    long aggStart = System.nanoTime();
    GlobalModel next = failure == null ? aggregate(collection) : discardAttempt(collection);
    if (next == null) {
      retriedLateOrDropped.putAll(lateOrDropped);
      if (collection.taintedBy() != null) {
        // the retry goes on without the party whose broken update forced it, so it cannot force another
        job.excludedUntilRoundCompletes.add(collection.taintedBy());
      }
      job.metrics.roundRetried();
      log.warn("job {}: round {} attempt {} failed: {}; late or dropped {}; retrying", job.jobId, round,
          collection.round.attempt(), failure != null ? failure : "the aggregation failed", lateOrDropped);
      job.writeStatus();
      return;
    }
    double aggregationSeconds = (System.nanoTime() - aggStart) / 1e9;
    job.model.publish(next);
    // taken before this version's own snapshots are queued: everything of older versions
    writtenBeforeCurrentVersion = job.writer.barrier();
    job.roundsCompleted++;
    if (job.privacy != null) {
      job.spent = job.spent.charged(SecureRounds.charged(job, collection));
    }
    double duration = (System.nanoTime() - startedNanos) / 1e9;
    long samples = 0;
    for (PartyOutcome.Submitted s : submitted.values()) {
      // each count is at most --max-samples-per-party (<= 2^40); saturate rather than wrap all the same
      samples = saturatedAdd(samples, s.samples());
    }
    RoundTimes times = RoundMetrics.times(duration, submitted.values());
    RoundRecord record = new RoundRecord(round, collection.round.attempt(), List.copyOf(submitted.keySet()),
        lateOrDropped, samples, round - 1, RoundMetrics.weighted(submitted.values()), duration, aggregationSeconds,
        times, job.clock.millis()).withBytesTotals(job.metrics.bytesUp(), job.metrics.bytesDown())
        .withShareRoutes(SecureRounds.shareRoutes(collection));
    job.history.add(record);
    retriedLateOrDropped.clear();
    job.excludedUntilRoundCompletes.clear();
    attemptsOfCurrentRound = 0;
    job.metrics.roundsCompleted(job.roundsCompleted);
    job.metrics.roundDuration(duration);
    job.metrics.aggregationTime(aggregationSeconds);
    JobSnapshots.queueCheckpoint(job, "the checkpoint of round " + round);
    JobSnapshots.queueRoundExport(job, round, next);
    job.writeStatus();
    log.info("job {}: round {} completed: aggregated {} ({} samples), late or dropped {}, metrics of model {} {}, "
            + "{} s ({}aggregation {} ms)", job.jobId, round, record.parties(), samples, lateOrDropped,
        round - 1, record.metrics(), String.format("%.1f", duration), timesForLog(times),
        String.format("%.2f", aggregationSeconds * 1000));
  }

  /** Configure: a new attempt of the next round, and a TrainRequest to every connected party. */
  private RoundCollection configure() throws IOException {
    attemptsOfCurrentRound++;
    Round round = new Round(job.roundsCompleted + 1, attemptsOfCurrentRound,
        job.clock.instant().plus(job.config.roundTimeout()));
    LogContext.round(round.number());
    emptySpillDirectory();
    RoundAggregation aggregation = job.strategy.begin(job.model.current(), spillDirectory);
    RoundCollection collection = new RoundCollection(round, aggregation);
    job.current = collection;
    job.tickets.startAttempt();
    dev.flotilla.protocol.v1.TrainRequest request = job.trainRequest(round); // one message (and model copy) for all
    List<Party> eligible = job.parties.all().stream()
        .filter(p -> p.connected() && !job.excludedUntilRoundCompletes.contains(p.name)).toList();
    // DP-FedAvg samples each party on its own (Poisson, as its accountant assumes); otherwise --fraction
    // picks a seeded share of the parties
    java.util.Set<String> chosen = job.sampling != null
        ? eligible.stream().filter(p -> job.sampling.draw()).map(p -> p.name).collect(java.util.stream.Collectors.toSet())
        : new java.util.HashSet<>(PartySampling.choose(eligible.stream().map(p -> p.name).toList(),
            job.config.fraction(), job.config.minParties(), job.config.seed(), round.number()));
    // a distributed-DP sample of fewer than 3 is padded with parties that add noise only (DistributedSample)
    java.util.Set<String> noiseOnly = job.sampling != null && job.privacy.distributed() && job.privacy.samplingRate() < 1
        ? DistributedSample.padding(eligible.stream().map(p -> p.name).toList(), chosen, new java.security.SecureRandom())
        : java.util.Set.of();
    chosen.addAll(noiseOnly);
    SecureRound secure = job.config.secureAggregation() ? SecureRounds.start(job, round, eligible, chosen, noiseOnly)
        : null;
    collection.secure = secure;
    List<Party> participants = eligible.stream().filter(p -> chosen.contains(p.name)).toList();
    request = job.peers.withRoster(request, participants.stream().map(p -> p.name).toList());
    for (Party p : participants) {
      collection.addParticipant(p.name);
      job.train(p, round, secure == null ? request
          : request.toBuilder().setSecureAggregation(secure.assignment(p.name)).build());
    }
    log.info("job {}: round {} (attempt {}) started with parties {}, deadline in {}", job.jobId, round.number(),
        round.attempt(), collection.participants(), job.config.roundTimeout());
    return collection;
  }

  /**
   * Collect: until every participant is done or the deadline. Then the round closes: an upload
   * that committed before the close counts, every other one is discarded (it is late).
   */
  private void collect(RoundCollection collection) throws InterruptedException {
    Instant deadline = collection.round.deadline();
    if (collection.secure != null) {
      // the masked round's phases each close on their own deadline; tick drives them
      while (!collection.secure.tick(job.clock.instant(), job.parties::isConnected)) {
        job.awaitChange(job.clock.instant().plus(HOUSEKEEPING), HOUSEKEEPING);
        enrollment.tidy();
      }
      SecureRounds.record(collection);
    }
    // a DP round has no quorum to miss; any other closes as soon as declines leave too few for --min-parties (the
    // retry starts at once instead of at the deadline)
    while (collection.secure == null && !collection.allDone(job.parties::isConnected)
        && !(job.privacy == null && collection.declinesLeaveTooFew(job.config.minParties()))
        && job.clock.instant().isBefore(deadline)) {
      job.awaitChange(deadline, HOUSEKEEPING);
      enrollment.tidy();
    }
    List<Upload> inFlight = collection.close();
    job.current = null;
    // taking an update back may read it from disk: without the lock
    Map<Upload, Boolean> discarded = new HashMap<>();
    Map<Upload, IOException> failed = new HashMap<>();
    job.lock.unlock();
    try {
      for (Upload u : inFlight) {
        try {
          discarded.put(u, u.discard());
        } catch (IOException e) {
          failed.put(u, e);
        }
      }
    } finally {
      job.lock.lock();
    }
    uploads.closed(collection, discarded, failed);
  }

  /** Aggregate: the next global model from the committed updates, computed without the lock; null if it failed. */
  private GlobalModel aggregate(RoundCollection collection) throws InterruptedException {
    job.lock.unlock();
    try (RoundAggregation aggregation = collection.aggregation) {
      if (collection.secure != null) {
        SecureRounds.feedMean(collection.secure, aggregation, job.specs, job.model.current(),
            job.privacy == null ? 1 : job.privacy.samplingRate() * job.config.expectedParties());
      }
      return job.model.next(aggregation);
    } catch (IOException e) {
      log.error("job {}: round {}: the aggregation failed: {}", job.jobId, collection.round.number(), e.toString(), e);
      return null;
    } finally {
      job.lock.lock();
    }
  }

  private GlobalModel discardAttempt(RoundCollection collection) {
    try {
      collection.aggregation.close();
    } catch (IOException e) {
      log.warn("job {}: round {}: cannot release the failed attempt's aggregation: {}", job.jobId,
          collection.round.number(), e.toString());
    }
    return null;
  }

  /**
   * After the last round: the final export (durable before anyone hears the job finished), then
   * Finished to every connected party and the wait for final evaluations.
   */
  private void finishJob(boolean finishedHere) throws InterruptedException, IOException {
    GlobalModel last = job.model.current();
    Path target = job.export.finalFile();
    job.writer.submit("the final model " + target, () -> {
      job.export.writeFinal(last, job.roundsCompleted);
      log.info("job {}: exported the final global model (round {}, version {}) to {}", job.jobId,
          job.roundsCompleted, last.version(), target.toAbsolutePath());
    });
    awaitWritten();
    job.exportedFinal = target;
    job.finished = true;
    if (finishedHere) {
      job.awaitingFinalEvaluation.clear();
    } else {
      // restarted after the last round: wait for the known parties that have not reported yet
      job.awaitingFinalEvaluation.addAll(job.parties.names());
    }
    for (Party p : job.parties.all()) {
      if (p.connected()) {
        job.awaitingFinalEvaluation.add(p.name);
        enrollment.finish(p);
      }
    }
    log.info("job {}: finished {} rounds (model version {}); waiting up to {} for final evaluations from {}",
        job.jobId, job.roundsCompleted, last.version(), job.config.finalEvaluationWait(), job.awaitingFinalEvaluation);
    job.writeStatus();
    Instant end = job.clock.instant().plus(job.config.finalEvaluationWait());
    while (!job.finalEvaluations.keySet().containsAll(job.awaitingFinalEvaluation) && job.clock.instant().isBefore(end)) {
      job.awaitChange(end, job.config.finalEvaluationWait());
    }
    JobSnapshots.queueCheckpoint(job, "the final checkpoint");
    job.writeStatus();
    awaitWritten();
    log.info("job {}: done; final accuracy {}", job.jobId, RoundMetrics.finalAccuracy(job.finalEvaluations.values()));
  }

  /**
   * The model store keeps two versions open, so publishing the next one closes the one before the
   * current: whatever the state writer still has to write of it (its checkpoint, its export) must be
   * on disk first. Usually long done (a round takes longer than its checkpoint); the current version's
   * own snapshots may still be on their way, so the next round never waits for the disk.
   */
  private void awaitWrittenBeforeCurrentVersion() throws InterruptedException, IOException {
    if (writtenBeforeCurrentVersion.isDone()) {
      job.writer.requireHealthy();
      return;
    }
    job.lock.unlock();
    try {
      writtenBeforeCurrentVersion.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("a barrier cannot fail", e);
    } finally {
      job.lock.lock();
    }
    job.writer.requireHealthy();
  }

  /** Waits, without the lock, until everything queued is on disk; a failed write ends the job. */
  private void awaitWritten() throws InterruptedException, IOException {
    job.lock.unlock();
    try {
      job.writer.awaitWritten();
    } finally {
      job.lock.lock();
    }
  }

  /** The spill directory is empty when an attempt starts (files a failed attempt or process left go). */
  private void emptySpillDirectory() throws IOException {
    Files.createDirectories(spillDirectory);
    try (var stale = Files.list(spillDirectory)) {
      for (Path p : (Iterable<Path>) stale::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * "training 3.9 s, evaluation 0.2 s, protocol 12.4 ms, " for the round's log line ("" when unknown):
   * protocol time in milliseconds, where its targets are (tens of ms a round).
   */
  private static String timesForLog(RoundTimes times) {
    if (times.trainingSeconds() == null) {
      return "";
    }
    return String.format(java.util.Locale.ROOT, "training %.1f s, evaluation %.1f s, protocol %.1f ms, ",
        times.trainingSeconds(), times.evaluationSeconds(), times.protocolSeconds() * 1000);
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }
}
