package dev.flotilla.server.round;

import com.google.protobuf.ByteString;

import dev.flotilla.common.logging.LogContext;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.MetricNames;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.v1.EvaluationReport;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.admission.AllowList;
import dev.flotilla.server.admission.UpdateAdmission;
import dev.flotilla.server.aggregation.Strategy;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.ModelSource;
import dev.flotilla.server.aggregation.Strategies;
import dev.flotilla.server.model.ModelStore;
import dev.flotilla.server.state.Checkpoint;
import dev.flotilla.server.state.CheckpointStore;
import dev.flotilla.server.transport.CallAuthorizer;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's entry points for the gRPC handlers and the process: each call takes the job's lock and
 * hands over to the part that owns it ({@link Enrollment}: parties and their links;
 * {@link UploadDesk}: uploads; {@link RoundLoop}: the rounds; {@link StateWriter}: the disk). Starts
 * a new job or resumes the one checkpointed in --state-dir.
 */
public final class RoundCoordinator implements CallAuthorizer, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RoundCoordinator.class);

  private final JobState job;
  private final Enrollment enrollment;
  private final UploadDesk uploads;
  private final RoundLoop loop;
  private final UpdateAdmission rules;
  private final RoundDeclines declines;
  private volatile FatalErrorHandler fatalErrorHandler = FatalErrorHandler.rethrow();

  public RoundCoordinator(ServerConfig config, Strategy strategy, CheckpointStore checkpoints, ServerMetrics metrics,
      String tlsProvider, Clock clock) throws IOException {
    this(config, strategy, checkpoints, new StateWriter(config.jobId(), config.statusFile()), metrics, tlsProvider, clock);
  }

  /** With the given state writer (tests block or break it). */
  RoundCoordinator(ServerConfig config, Strategy strategy, CheckpointStore checkpoints, StateWriter writer,
      ServerMetrics metrics, String tlsProvider, Clock clock) throws IOException {
    LogContext.set(LogContext.ROLE, LogContext.ROLE_SERVER);
    LogContext.set(LogContext.JOB, config.jobId());
    LogContext.set(LogContext.ROUND, null); // until the first round starts
    ModelSource model = config.initialModel() != null ? ModelSource.file(config.initialModel())
        : ModelSource.builtIn(config.model(), config.seed());
    ModelSource source = Strategies.carriesControlVariates(config.strategy()) ? model.withControlVariates() : model;
    AllowList allowList = new AllowList(config.jobId(), config.allowedParties(), config.allowPartyFile());
    if (!allowList.isOpen() && allowList.names().size() < config.minParties()) {
      throw new IllegalArgumentException(allowList.source() + " names " + allowList.names().size()
          + " parties, fewer than --min-parties " + config.minParties());
    }
    PartyRegistry parties = new PartyRegistry(config.jobId(), config.expectedParties(), allowList,
        config.reconnectGrace(), clock);
    var saved = checkpoints.load();
    Checkpoint resumed = saved.isPresent() ? Resume.check(saved.get(), config, source, strategy, checkpoints) : null;
    ModelStore store = new ModelStore(config.stateDir().resolve("global"));
    GlobalModel initial = resumed != null ? Resume.model(resumed, source, store) : initialModel(source, store);
    this.rules = new UpdateAdmission(config.admission());
    this.job = new JobState(config, source, strategy, parties, new GlobalModelHolder(store, initial), checkpoints,
        writer, metrics, clock, tlsProvider);
    this.enrollment = new Enrollment(job, rules);
    this.uploads = new UploadDesk(job, new UploadAdmission(config.jobId(), rules, source.layout(), source.describe(),
        config.updateEncoding()));
    this.loop = new RoundLoop(job, enrollment, uploads, config.stateDir().resolve("spool"));
    this.declines = new RoundDeclines(job);
    if (resumed != null) {
      Resume.apply(resumed, job);
    } else {
      log.info("job {}: new job, {} ({} tensors, {} values{}), strategy {}, {} rounds, min {} / expected {} parties, "
              + "updates in {}",
          config.jobId(), source.describe(), source.layout().size(), ModelSpecs.totalElements(source.layout()),
          config.initialModel() == null ? ", seed " + config.seed() : "", strategy.name(), config.rounds(),
          config.minParties(), config.expectedParties(), config.updateEncoding().describe());
    }
    job.finished = job.roundsCompleted >= config.rounds();
    metrics.roundsCompleted(job.roundsCompleted);
    if (allowList.isOpen()) {
      log.warn("job {}: enrollment is open: any party identity of the job may take one of its {} slots "
          + "(--expected-parties); name the parties with --allow-party or --allow-party-file to close it",
          config.jobId(), config.expectedParties());
    } else {
      log.info("job {}: enrollment by allow-list ({}): {}", config.jobId(), allowList.source(), allowList.names());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Called from gRPC handlers

  public String jobId() {
    return job.jobId;
  }

  public JoinResponse join(String name, JoinRequest request) throws StatusException {
    return locked(() -> enrollment.join(name, request));
  }

  @Override
  public void authorize(String name, boolean join) throws StatusException {
    locked(() -> {
      enrollment.authorize(name, join);
      return null;
    });
  }

  /** A party's Rounds stream opened. */
  public void openRoundsStream(String name, PartyLink link) throws StatusException {
    // registered first: a link that is gone before it was connected is then a no-op
    link.whenGone(() -> locked(() -> {
      enrollment.disconnected(name, link);
      return null;
    }));
    locked(() -> {
      enrollment.connect(name, link);
      return null;
    });
  }

  /** The global model of a version: the current one (published models are never modified). */
  public GlobalModel model(String name, long version) throws StatusException {
    return locked(() -> {
      requireMember(name);
      GlobalModel current = job.model.current();
      if (version != current.version()) {
        throw Status.FAILED_PRECONDITION.withDescription("model version " + version + " is not available: the global "
            + "model of job " + job.jobId + " is at version " + current.version()).asException();
      }
      return current;
    });
  }

  /** Admits an update's header and opens its upload; refusals carry what was wrong. */
  public Upload beginUpload(String name, UpdateHeader header) throws StatusException {
    return locked(() -> {
      requireMember(name);
      requirePlainUpdates(name);
      return uploads.begin(name, header);
    });
  }

  /**
   * Offers the bulk-upload port to parties that join with its capability from now on (0: none);
   * their TrainRequests carry tickets for it.
   */
  public void offerBulkUploads(int port) {
    locked(() -> {
      job.tickets.offer(port);
      return null;
    });
  }

  /**
   * Admits an update that came on the bulk-upload port: {@code ticket} must be one issued to
   * {@code name} (the identity of the TLS connection) for the open attempt, and the header must
   * name the ticket's round; then the header is admitted as SubmitUpdate's is.
   */
  public Upload beginBulkUpload(String name, ByteString ticket, UpdateHeader header) throws StatusException {
    return locked(() -> {
      requireMember(name);
      requirePlainUpdates(name);
      UploadTickets.Ticket t;
      try {
        t = job.tickets.redeem(ticket, name, job.clock.instant());
      } catch (StatusException e) {
        throw uploads.refused(e.getStatus());
      }
      RoundCollection open = job.current;
      if (header.getRound() != t.round()) {
        throw uploads.refused(Status.INVALID_ARGUMENT.withDescription("update of party '" + name + "' is for round "
            + header.getRound() + " but its bulk-upload ticket is for round " + t.round()));
      }
      if (open == null || open.round.number() != t.round() || open.round.attempt() != t.attempt()) {
        throw uploads.refused(Status.FAILED_PRECONDITION.withDescription("the bulk-upload ticket of party '" + name
            + "' is for attempt " + t.attempt() + " of round " + t.round() + ", which is over"));
      }
      return uploads.begin(name, header);
    });
  }

  /** Records an upload whose update was committed. */
  public void completeUpload(Upload upload, String note) {
    locked(() -> {
      uploads.complete(upload, note);
      return null;
    });
  }

  /**
   * Ends an upload that failed: it is discarded first, without the lock (taking an update back may
   * read it from disk), then recorded; see {@link UploadDesk#fail}.
   */
  public void failUpload(Upload upload, Status status, boolean refused, boolean serverFault) {
    boolean discarded = true;
    boolean fault = serverFault;
    try {
      discarded = upload.discard();
    } catch (IOException e) {
      fault = true;
      log.error("job {}: round {}: the update of party {} could not be taken back: {}", job.jobId,
          upload.round().number(), upload.party(), e.toString());
    }
    boolean wasDiscarded = discarded;
    boolean tainted = fault;
    locked(() -> {
      uploads.fail(upload, status, refused, tainted, wasDiscarded);
      return null;
    });
  }

  /** {@code name} will not submit for the attempt it names: the round stops waiting for it (see {@link RoundDeclines}). */
  public void declineRound(String name, dev.flotilla.protocol.v1.DeclineRoundRequest request) throws StatusException {
    locked(() -> {
      requireMember(name);
      declines.decline(name, request);
      job.writeStatus();
      return null;
    });
  }

  public void reportEvaluation(String name, EvaluationReport report) throws StatusException {
    locked(() -> {
      requireMember(name);
      long version = job.model.version();
      if (!job.finished) {
        throw Status.FAILED_PRECONDITION.withDescription("job " + job.jobId + " has not finished; report the final "
            + "evaluation after Finished").asException();
      }
      if (report.getModelVersion() != version) {
        throw Status.FAILED_PRECONDITION.withDescription("evaluation is of model version " + report.getModelVersion()
            + " but the final model of job " + job.jobId + " is version " + version).asException();
      }
      rules.checkEvaluationSamples(name, report.getNumSamples());
      rules.checkMetrics("evaluation of party '" + name + "'", report.getMetricsMap());
      Map<String, Double> values = new TreeMap<>(report.getMetricsMap());
      values.put(MetricNames.NUM_SAMPLES, (double) report.getNumSamples());
      job.finalEvaluations.put(name, values);
      log.info("job {}: party {} reported the final model's evaluation {}", job.jobId, name, report.getMetricsMap());
      job.writeStatus();
      job.changed.signalAll();
      return null;
    });
  }

  /**
   * The masked round that {@code name} opens a MaskedRound stream for (its first message names the
   * round and attempt of its TrainRequest); refused when none is open for it.
   */
  public SecureRound secureRound(String name, int round, int attempt) throws StatusException {
    return locked(() -> {
      requireMember(name);
      SecureRound secure = job.current == null ? null : job.current.secure;
      if (secure == null) {
        throw Status.FAILED_PRECONDITION.withDescription(job.config.secureAggregation()
            ? "no masked round of job " + job.jobId + " is open now (asked for round " + round + " attempt " + attempt + ")"
            : "job " + job.jobId + " does not run --secure-aggregation; send updates with SubmitUpdate").asException();
      }
      if (secure.round().number() != round || secure.round().attempt() != attempt) {
        throw Status.FAILED_PRECONDITION.withDescription("asked for the masked round of round " + round + " attempt "
            + attempt + " but round " + secure.round().number() + " attempt " + secure.round().attempt() + " is open")
            .asException();
      }
      if (!secure.isRosterMember(name)) {
        throw Status.FAILED_PRECONDITION.withDescription("party '" + name + "' is not in the roster of round " + round
            + " attempt " + attempt + " (it was not asked to train it)").asException();
      }
      return secure;
    });
  }

  private void requirePlainUpdates(String name) throws StatusException {
    if (job.config.secureAggregation()) {
      throw uploads.refused(Status.FAILED_PRECONDITION.withDescription("job " + job.jobId + " runs --secure-aggregation: "
          + "party '" + name + "' sends its update masked, in SecureAggregation.MaskedRound, never in the clear"));
    }
  }

  private void requireMember(String name) throws StatusException {
    if (!job.parties.holds(name)) {
      throw uploads.refused(Status.PERMISSION_DENIED.withDescription(enrollment.notMember(name)));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The process

  /** What to do when {@link #run()} dies of an unexpected Throwable; the default only rethrows. */
  public RoundCoordinator onFatalError(FatalErrorHandler handler) {
    this.fatalErrorHandler = Objects.requireNonNull(handler, "handler");
    return this;
  }

  /**
   * Runs the job to its end (all rounds, Finished, final evaluations or their wait; the final export
   * and checkpoint durable). An unexpected Throwable, a failed checkpoint or export included, is
   * logged with the job and handed to the {@link FatalErrorHandler}, then rethrown; an interrupt is
   * not fatal.
   */
  public void run() throws InterruptedException {
    try {
      loop.run();
    } catch (InterruptedException e) {
      throw e;
    } catch (IOException e) {
      throw fatal(new java.io.UncheckedIOException(e.getMessage(), e));
    } catch (RuntimeException e) {
      throw fatal(e);
    } catch (Error e) {
      throw fatal(e);
    }
  }

  private <T extends Throwable> T fatal(T t) {
    log.error("job {}: round coordinator died {} (model version {}): {}", job.jobId,
        job.roundsCompleted >= job.config.rounds() ? "after the last round" : "at round " + (job.roundsCompleted + 1) + " of " + job.config.rounds(),
        job.model.version(), t.toString(), t);
    fatalErrorHandler.onFatal(job.jobId, t);
    return t;
  }

  /** Writes what the state writer has queued and stops it (a process that ends normally loses nothing). */
  @Override
  public void close() throws InterruptedException {
    job.writer.close();
    try {
      job.model.close();
    } catch (IOException e) {
      log.warn("job {}: cannot close the global model's files: {}", job.jobId, e.toString());
    }
  }

  /** Version 0, streamed into the store from the built-in's seeded weights or the --initial-model file. */
  private static GlobalModel initialModel(ModelSource source, ModelStore store) throws IOException {
    ModelStore.Writer writer = store.writer(source.layout());
    try {
      source.writeInitial(writer);
    } catch (IOException | RuntimeException e) {
      writer.abort();
      throw e;
    }
    return writer.publish(0);
  }

  /** The job's status (the status file's content; aggregator-server/README.md describes its fields). */
  public JobStatus status() {
    return locked(() -> JobSnapshots.status(job));
  }

  public int roundsCompleted() {
    return locked(() -> job.roundsCompleted);
  }

  public boolean finished() {
    return locked(() -> job.finished);
  }

  /** The current global model (read-only). */
  public GlobalModel globalModel() {
    return job.model.current();
  }

  public List<RoundRecord> history() {
    return locked(() -> List.copyOf(job.history));
  }

  /** Runs {@code step} under the job's lock. */
  private <T, E extends Exception> T locked(Step<T, E> step) throws E {
    job.lock.lock();
    try {
      return step.run();
    } finally {
      job.lock.unlock();
    }
  }

  @FunctionalInterface
  private interface Step<T, E extends Exception> {
    T run() throws E;
  }
}
