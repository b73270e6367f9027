package dev.flotilla.server.round;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.aggregation.Strategy;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.model.ModelExport;
import dev.flotilla.server.model.ModelSource;
import dev.flotilla.server.state.CheckpointStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the parts of the coordinator share about one job, and the one lock that guards it: the
 * gRPC handlers ({@link Enrollment}, {@link UploadDesk}) and the {@link RoundLoop} each take the
 * lock for short steps; nothing blocks on the disk or on an aggregation while holding it. The
 * global model lives in its {@link GlobalModelHolder} (read without the lock).
 */
final class JobState {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(JobState.class);

  final ReentrantLock lock = new ReentrantLock();
  /** Signalled whenever something the round loop waits for changed (a party, an upload, a report). */
  final Condition changed = lock.newCondition();

  final ServerConfig config;
  final String jobId;
  final ModelSource source;
  final List<TensorSpec> specs;
  final Strategy strategy;
  final PartyRegistry parties;
  final GlobalModelHolder model;
  final ModelExport export;
  final CheckpointStore checkpoints;
  final StateWriter writer;
  final ServerMetrics metrics;
  final Clock clock;
  final String tlsProvider;
  /** The job's differential-privacy budget, or null for a job without one. */
  final dev.flotilla.server.privacy.PrivacyBudget privacy;
  /** What the completed rounds spent of the budget, with their settings (null without a budget). */
  dev.flotilla.server.privacy.PrivacyLedger spent;
  /** Who is asked to train in a DP round (null without a budget: every connected party). */
  final dev.flotilla.server.privacy.PartySampling sampling;

  int roundsCompleted;
  boolean finished;
  final List<RoundRecord> history = new ArrayList<>();
  final Map<String, Map<String, Double>> finalEvaluations = new LinkedHashMap<>();
  final Set<String> awaitingFinalEvaluation = new LinkedHashSet<>();
  /** Parties whose update could not be taken back from an attempt: not asked again until the round completes. */
  final Set<String> excludedUntilRoundCompletes = new LinkedHashSet<>();
  /** The attempt collecting updates, or null between attempts. */
  RoundCollection current;
  /** Where the parties' peer endpoints are, for the rounds' rosters. */
  final PeerDirectory peers;
  /** Tickets for the bulk-upload port, offered to the parties that can use it. */
  final UploadTickets tickets;
  /** The exported final model once written, else null. */
  Path exportedFinal;
  /** Why the job ended before its last round (its privacy budget), else null. */
  String endReason;

  JobState(ServerConfig config, ModelSource source, Strategy strategy, PartyRegistry parties, GlobalModelHolder model,
      CheckpointStore checkpoints, StateWriter writer, ServerMetrics metrics, Clock clock, String tlsProvider) {
    this.config = config;
    this.jobId = config.jobId();
    this.tickets = new UploadTickets(config.jobId());
    this.peers = new PeerDirectory(config.checkPeers());
    this.source = source;
    this.specs = source.layout();
    this.strategy = strategy;
    this.parties = parties;
    this.model = model;
    this.export = new ModelExport(config.exportTarget(), config.roundModelsDirectory(), config.jobId(), source.name());
    this.checkpoints = checkpoints;
    this.writer = writer;
    this.metrics = metrics;
    this.clock = clock;
    this.tlsProvider = tlsProvider;
    this.privacy = config.privacy();
    this.spent = privacy == null ? null : dev.flotilla.server.privacy.PrivacyLedger.empty(privacy);
    this.sampling = privacy == null ? null
        : new dev.flotilla.server.privacy.PartySampling(privacy.samplingRate(), new java.security.SecureRandom());
  }

  /**
   * What a participant of {@code round} is sent: train from the current global model, which rides
   * along when it is at most --inline-model-bytes (callers hold the lock).
   */
  dev.flotilla.protocol.v1.TrainRequest trainRequest(Round round) {
    var global = model.current();
    return round.trainRequest(global.version(),
        dev.flotilla.server.model.ModelChunks.inlineValues(global, config.inlineModelBytes()));
  }

  /**
   * Asks a party to train {@code round}, with a ticket for the bulk-upload port when the party
   * can use one; the model values riding along count as bytes sent, as a download's would.
   */
  void train(Party party, Round round, dev.flotilla.protocol.v1.TrainRequest request) {
    party.link.train(party.bulkUpload && tickets.port() > 0
        ? request.toBuilder().setUploadTicket(tickets.issue(party.name, round)).build() : request);
    if (!request.getModelValues().isEmpty()) {
      metrics.bytesOut(request.getModelValues().size());
    }
  }

  /** Queues the status document built now (callers hold the lock). */
  void writeStatus() {
    if (config.statusFile() == null) {
      return;
    }
    try {
      writer.status(JobSnapshots.statusJson(this));
    } catch (IllegalArgumentException e) {
      // a non-finite number, which strict JSON cannot hold: the job goes on without this write
      log.error("job {}: cannot write the status file {}: {}", config.jobId(), config.statusFile(), e.toString());
    }
  }

  void updateConnectedGauge() {
    metrics.partiesConnected(parties.connectedCount());
  }

  /** Waits on {@link #changed} until {@code until} at the latest, waking at least every {@code most}. */
  void awaitChange(Instant until, Duration most) throws InterruptedException {
    long millis = Math.max(1, Duration.between(clock.instant(), until).toMillis());
    changed.await(Math.min(millis, most.toMillis()), TimeUnit.MILLISECONDS);
  }
}
