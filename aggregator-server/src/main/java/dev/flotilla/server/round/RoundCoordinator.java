package dev.flotilla.server.round;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.server.model.ModelExport;
import dev.flotilla.server.model.FileModel;
import dev.flotilla.server.model.HeapModel;
import dev.flotilla.server.model.ModelSource;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.MetricNames;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.status.RoundTimes;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.TensorStreamDecoder;
import dev.flotilla.protocol.tensor.TensorStreamException;
import dev.flotilla.protocol.v1.Encoding;
import dev.flotilla.protocol.v1.EvaluationReport;
import dev.flotilla.protocol.v1.Finished;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.admission.AllowList;
import dev.flotilla.server.admission.NormBound;
import dev.flotilla.server.admission.UpdateAdmission;
import dev.flotilla.server.aggregate.WeightedSum;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.state.AtomicFiles;
import dev.flotilla.server.state.Checkpoint;
import dev.flotilla.server.state.CheckpointStore;
import dev.flotilla.server.strategy.Strategy;
import dev.flotilla.server.transport.CallAuthorizer;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the job: waits for parties, runs the rounds (TrainRequest, collect updates until all arrived
 * or the deadline, aggregate when at least --min-parties did, else retry the round), checkpoints
 * after every round, then sends Finished and waits for the final evaluations. What a party may
 * claim is checked by {@link UpdateAdmission}; who holds a slot is {@link PartySlots}' business;
 * as the {@link CallAuthorizer} it tells the transport whether a call may start at all.
 *
 * <p>All state is guarded by one lock; gRPC handlers call in from their threads, {@link #run()}
 * drives the rounds from its own. Chunks are folded outside the lock (the sum has its own).
 */
public final class RoundCoordinator implements CallAuthorizer {

  private static final Logger log = LoggerFactory.getLogger(RoundCoordinator.class);
  static final String ACCEPTED = "accepted";
  private static final long HOUSEKEEPING_MILLIS = 1000;

  private final ServerConfig config;
  /** The job's model: a built-in or --initial-model; its layout is what every update must have. */
  private final ModelSource source;
  private final List<TensorSpec> specs;
  private final ModelExport export;
  /** The last exported final model, for the status document; null until written. */
  private Path exportedFinal;
  private final Strategy strategy;
  private final CheckpointStore checkpoints;
  private final ServerMetrics metrics;
  private final String tlsProvider;
  private final Clock clock;
  private final UpdateAdmission admission;
  private final PartySlots slots;
  /** Where updates wait for their norm check (--max-update-norm), else null. */
  private final Path spoolDirectory;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  private float[][] global;
  private long modelVersion;
  private int roundsCompleted;
  private final List<RoundRecord> history = new ArrayList<>();
  private final Map<String, Map<String, Double>> finalEvaluations = new LinkedHashMap<>();
  private final Set<String> awaitingFinalEvaluation = new LinkedHashSet<>();
  /** late/dropped parties of failed attempts of the round in progress, kept for its record. */
  private final Map<String, String> retriedLateOrDropped = new TreeMap<>();
  /** Parties whose partly folded update tainted an attempt: not asked again until the round completes. */
  private final Set<String> excludedUntilRoundCompletes = new LinkedHashSet<>();
  private int attemptsOfCurrentRound;
  private Round current;
  private boolean finished;
  private boolean firstRoundOfProcess = true;
  private volatile FatalErrorHandler fatalErrorHandler = FatalErrorHandler.rethrow();

  public RoundCoordinator(ServerConfig config, Strategy strategy, CheckpointStore checkpoints,
      ServerMetrics metrics, String tlsProvider, Clock clock) throws IOException {
    this.config = config;
    this.source = config.initialModel() != null ? ModelSource.file(config.initialModel())
        : ModelSource.builtIn(config.model(), config.seed());
    this.specs = source.layout();
    this.export = new ModelExport(config.exportTarget(), config.roundModelsDirectory(), config.jobId(), source.name());
    this.strategy = strategy;
    this.checkpoints = checkpoints;
    this.metrics = metrics;
    this.tlsProvider = tlsProvider;
    this.clock = clock;
    this.admission = new UpdateAdmission(config.admission());
    AllowList allowList = new AllowList(config.jobId(), config.allowedParties(), config.allowPartyFile());
    if (!allowList.isOpen() && allowList.names().size() < config.minParties()) {
      throw new IllegalArgumentException(allowList.source() + " names " + allowList.names().size()
          + " parties, fewer than --min-parties " + config.minParties());
    }
    this.slots = new PartySlots(config.jobId(), config.expectedParties(), allowList, config.reconnectGrace(), clock);
    this.spoolDirectory = SpooledUpdate.emptyDirectoryIn(config.stateDir());
    var saved = checkpoints.load();
    if (saved.isPresent()) {
      resume(saved.get());
    } else {
      global = source.initialValues();
      log.info("job {}: new job, {} ({} tensors, {} values{}), strategy {}, {} rounds, min {} / expected {} parties",
          config.jobId(), source.describe(), specs.size(), ModelSpecs.totalElements(specs),
          config.initialModel() == null ? ", seed " + config.seed() : "", strategy.name(), config.rounds(),
          config.minParties(), config.expectedParties());
    }
    finished = roundsCompleted >= config.rounds();
    metrics.roundsCompleted(roundsCompleted);
    if (allowList.isOpen()) {
      log.warn("job {}: enrollment is open: any party identity of the job may take one of its {} slots "
          + "(--expected-parties); name the parties with --allow-party or --allow-party-file to close it",
          config.jobId(), config.expectedParties());
    } else {
      log.info("job {}: enrollment by allow-list ({}): {}", config.jobId(), allowList.source(), allowList.names());
    }
  }

  private void resume(Checkpoint c) throws IOException {
    if (!c.jobId().equals(config.jobId()) || !c.strategy().equals(strategy.name())) {
      throw new IOException("state in " + checkpoints.file() + " belongs to job " + c.jobId() + " (model " + c.model()
          + ", strategy " + c.strategy() + "), not job " + config.jobId() + " (" + source.describe() + ", strategy "
          + strategy.name() + "); use another --state-dir or the job's settings");
    }
    List<TensorSpec> recorded = c.layout().isEmpty() ? layoutOfOldCheckpoint(c) : c.layout();
    String difference = ModelSource.firstDifference(recorded, "the checkpoint", specs, source.describe());
    if (difference != null) {
      throw new IOException("state in " + checkpoints.file() + " holds another model than job " + config.jobId()
          + " is given: " + difference + "; use another --state-dir or the job's model");
    }
    try (FileModel saved = (FileModel) c.global()) {
      global = HeapModel.copyOf(saved).values();
    }
    modelVersion = c.modelVersion();
    roundsCompleted = c.roundsCompleted();
    strategy.restore(c.strategyState());
    for (Checkpoint.PartyRecord p : c.parties()) {
      slots.restore(p.name(), p.index(), p.numSamples());
    }
    history.addAll(c.history());
    finalEvaluations.putAll(c.finalEvaluations());
    metrics.restoreBytes(c.bytesUp(), c.bytesDown());
    log.info("job {}: resumed from {} at round {} of {} (model version {}), known parties {}", config.jobId(),
        checkpoints.file(), roundsCompleted, config.rounds(), modelVersion, slots.names());
  }

  /** A checkpoint from before layouts were recorded holds a built-in model, named in it. */
  private List<TensorSpec> layoutOfOldCheckpoint(Checkpoint c) throws IOException {
    try {
      return ModelSpecs.forName(c.model());
    } catch (IllegalArgumentException e) {
      throw new IOException("state in " + checkpoints.file() + " records no layout and its model '" + c.model()
          + "' is no built-in architecture; use another --state-dir");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Called from gRPC handlers

  public JoinResponse join(String name, JoinRequest request) throws StatusException {
    lock.lock();
    try {
      tidySlots();
      slots.requireAllowed(name);
      admission.checkJoin(name, request.getNumSamples());
      Party party = slots.get(name);
      if (party == null) {
        requireRoomFor(name);
        party = slots.take(name, request.getNumSamples());
        log.info("job {}: party {} joined (index {}, {} samples)", config.jobId(), name, party.index,
            request.getNumSamples());
        writeStatus();
      } else {
        if (party.stream != null) {
          throw status(Status.ALREADY_EXISTS, "party '" + name + "' is already connected to job " + config.jobId()
              + " (a live Rounds stream has the same identity)");
        }
        party.numSamples = request.getNumSamples();
        log.info("job {}: party {} rejoined (index {}, {} samples)", config.jobId(), name, party.index,
            request.getNumSamples());
      }
      changed.signalAll();
      return JoinResponse.newBuilder()
          .setJobId(config.jobId())
          .setStrategy(strategy.name())
          .setRounds(config.rounds())
          .setModel(source.name())
          .setPartyIndex(party.index)
          .setCurrentRound(roundsCompleted)
          .setFedproxMu(strategy.proximalMu())
          .setLocalEpochs(config.localEpochs())
          .setPartyName(name)
          .setMaxMessageBytes(config.maxMessageBytes())
          .addAllTensors(TensorChunks.infos(specs))
          .build();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether a call of the party may start at all, decided before any of its messages is read: a
   * party off the allow-list may call nothing; a party without a slot may only call Join, and not
   * even that while the job is full or finished.
   */
  @Override
  public void authorize(String name, boolean join) throws StatusException {
    lock.lock();
    try {
      tidySlots();
      slots.requireAllowed(name);
      if (slots.holds(name)) {
        return;
      }
      if (!join) {
        throw status(Status.PERMISSION_DENIED, notMember(name));
      }
      requireRoomFor(name);
    } finally {
      lock.unlock();
    }
  }

  /** A party without a slot may take one: the job has not finished and a slot is free (callers tidied the slots). */
  private void requireRoomFor(String name) throws StatusException {
    if (finished) {
      throw status(Status.FAILED_PRECONDITION, "job " + config.jobId() + " has finished (" + roundsCompleted
          + " rounds); it takes no new parties");
    }
    slots.requireFreeSlot();
  }

  /**
   * Re-reads the allow-list file if it changed and takes back the slots of parties it no longer
   * names or that have been gone longer than --reconnect-grace (not while the job is finished, when
   * known parties come back for the final model, nor from a party with an upload in flight).
   */
  private void tidySlots() {
    boolean listChanged = slots.allowList().refresh();
    List<Party> released = slots.releaseExpired(p -> finished || (current != null && current.active.containsKey(p.name)));
    for (Party p : released) {
      awaitingFinalEvaluation.remove(p.name);
      excludedUntilRoundCompletes.remove(p.name);
      ServerCallStreamObserver<RoundEvent> stream = p.stream;
      p.stream = null;
      if (stream != null) {
        try {
          stream.onError(Status.PERMISSION_DENIED.withDescription("party '" + p.name + "' lost its slot in job "
              + config.jobId() + ": it is no longer on its " + slots.allowList().source() + " list").asException());
        } catch (RuntimeException e) {
          log.debug("job {}: ending the Rounds stream of {}: {}", config.jobId(), p.name, e.toString());
        }
      }
    }
    if (!released.isEmpty()) {
      updateConnectedGauge();
      changed.signalAll();
    }
    if (!released.isEmpty() || listChanged) {
      writeStatus();
    }
  }

  public void openRoundsStream(String name, ServerCallStreamObserver<RoundEvent> stream) throws StatusException {
    lock.lock();
    try {
      Party party = slots.get(name);
      if (party == null) {
        throw status(Status.FAILED_PRECONDITION, "party '" + name + "' has not joined job " + config.jobId()
            + "; call Join first");
      }
      if (party.stream != null) {
        throw status(Status.ALREADY_EXISTS, "party '" + name + "' already has a live Rounds stream in job "
            + config.jobId());
      }
      party.stream = stream;
      party.goneSince = null;
      stream.setOnCancelHandler(() -> disconnected(party, stream));
      updateConnectedGauge();
      log.info("job {}: party {} connected ({} connected)", config.jobId(), name, connectedCount());
      if (finished) {
        awaitingFinalEvaluation.add(name);
        sendFinished(party);
      } else if (current != null && !current.closed && !ACCEPTED.equals(current.outcomes.get(name))
          && !excludedUntilRoundCompletes.contains(name)) {
        // a late joiner or a party back from a broken connection takes part in the open round
        current.participants.add(name);
        sendTrain(party, current);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void disconnected(Party party, ServerCallStreamObserver<RoundEvent> stream) {
    lock.lock();
    try {
      if (party.stream == stream) {
        party.stream = null;
        party.goneSince = clock.instant();
        updateConnectedGauge();
        log.warn("job {}: party {} disconnected ({} connected)", config.jobId(), party.name, connectedCount());
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The global model of a version: the current one (arrays are never modified once published). */
  public ModelSnapshot model(String name, long version) throws StatusException {
    lock.lock();
    try {
      requireMember(name);
      if (version != modelVersion) {
        throw status(Status.FAILED_PRECONDITION, "model version " + version + " is not available: the global model of job "
            + config.jobId() + " is at version " + modelVersion);
      }
      return new ModelSnapshot(modelVersion, specs, global);
    } finally {
      lock.unlock();
    }
  }

  public List<TensorSpec> specs() {
    return specs;
  }

  /** Validates an update's header and registers the upload; refusals carry what was wrong. */
  public Upload beginUpload(String name, UpdateHeader header) throws StatusException {
    lock.lock();
    try {
      requireMember(name);
      Round round = current;
      if (round == null || round.closed) {
        throw rejected(Status.FAILED_PRECONDITION, "update of party '" + name + "' is for round " + header.getRound()
            + " but no round is open in job " + config.jobId() + " (" + roundsCompleted + " of " + config.rounds()
            + " rounds completed)");
      }
      if (header.getRound() != round.number) {
        throw rejected(Status.FAILED_PRECONDITION, "update of party '" + name + "' is for round " + header.getRound()
            + " but the current round of job " + config.jobId() + " is " + round.number);
      }
      if (ACCEPTED.equals(round.outcomes.get(name))) {
        throw rejected(Status.ALREADY_EXISTS, "party '" + name + "' already submitted an update for round " + round.number);
      }
      if (round.active.containsKey(name)) {
        throw rejected(Status.ALREADY_EXISTS, "party '" + name + "' is already uploading an update for round " + round.number);
      }
      if (!round.participants.contains(name)) {
        throw rejected(Status.FAILED_PRECONDITION, "party '" + name + "' was not asked to train round " + round.number
            + " (it has no Rounds stream)");
      }
      if (header.getEncoding() != Encoding.FLOAT32) {
        throw reject(round, name, Status.UNIMPLEMENTED, "update encoding " + header.getEncoding()
            + " is not supported by this server; send FLOAT32");
      }
      try {
        admission.checkUpdateSamples(name, header.getNumSamples(), slots.get(name).numSamples);
        admission.checkMetrics("update of party '" + name + "'", header.getMetricsMap());
      } catch (StatusException e) {
        throw reject(round, name, e.getStatus().getCode().toStatus(), e.getStatus().getDescription());
      }
      try {
        TensorChunks.checkLayout(header.getTensorsList(), specs);
      } catch (TensorStreamException e) {
        throw reject(round, name, Status.INVALID_ARGUMENT, "update does not match " + source.describe() + ": "
            + e.getMessage());
      }
      Upload upload = new Upload(name, round, header);
      round.active.put(name, upload);
      return upload;
    } finally {
      lock.unlock();
    }
  }

  /** Folds one checked data chunk of an upload into its round's running sum. */
  public void fold(Upload upload, ByteString data, TensorStreamDecoder decoder) throws StatusException {
    lock.lock();
    try {
      requireLive(upload);
      upload.foldedAny = true;
    } finally {
      lock.unlock();
    }
    try {
      WeightedSum sum = upload.round.sum;
      double w = upload.weight;
      decoder.accept(data, (t, off, values, n) -> sum.fold(t, off, values, n, w));
    } catch (TensorStreamException e) {
      throw new IllegalStateException("chunk was checked before folding", e);
    }
  }

  /**
   * Folds a complete spooled update, its difference from the round's base model scaled by
   * {@code scale} (1 = as sent; below 1 = clipped to --max-update-norm).
   */
  void foldSpooled(Upload upload, SpooledUpdate spool, double scale) throws StatusException, IOException {
    lock.lock();
    try {
      requireLive(upload);
      upload.foldedAny = true;
    } finally {
      lock.unlock();
    }
    spool.foldInto(upload.round.sum, specs, upload.weight, scale);
  }

  /** The per-update norm bound (--max-update-norm), or null. */
  public NormBound normBound() {
    return config.admission().normBound();
  }

  /** The directory of spooled updates; set when {@link #normBound()} is. */
  Path spoolDirectory() {
    return spoolDirectory;
  }

  /** Commits a completely folded upload to its round. */
  public void completeUpload(Upload upload, long values, String note) throws StatusException {
    lock.lock();
    try {
      requireLive(upload);
      Round round = upload.round;
      round.sum.commit(upload.weight);
      round.outcomes.put(upload.party, ACCEPTED);
      round.accepted.put(upload.party, upload.header);
      round.active.remove(upload.party);
      upload.finished = true;
      metrics.updateAccepted();
      log.info("job {}: round {}: update of party {} accepted ({} samples, {} values, metrics {}{})", config.jobId(),
          round.number, upload.party, upload.header.getNumSamples(), values, upload.header.getMetricsMap(), note);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Ends an upload that failed: refused by the server (rejected = true, the round stops waiting for
   * this party) or broken by the client. Data already folded taints the round, which is retried.
   */
  public void failUpload(Upload upload, Status status, boolean rejected) {
    lock.lock();
    try {
      if (upload.finished) {
        return;
      }
      upload.finished = true;
      Round round = upload.round;
      round.active.remove(upload.party, upload);
      if (upload.foldedAny && !upload.cancelled) {
        round.taintedBy = upload.party;
        round.tainted = "part of the update of party '" + upload.party + "' was folded before it failed ("
            + status.getCode() + ": " + status.getDescription() + ")";
        log.warn("job {}: round {}: {}; the round will be retried", config.jobId(), round.number, round.tainted);
      }
      if (rejected) {
        round.outcomes.put(upload.party, "rejected: " + status.getDescription());
        metrics.updateRejected(status.getCode());
        log.warn("job {}: round {}: update of party {} rejected: {} {}", config.jobId(), round.number, upload.party,
            status.getCode(), status.getDescription());
      } else {
        log.warn("job {}: round {}: upload of party {} broke off: {} {}", config.jobId(), round.number, upload.party,
            status.getCode(), status.getDescription());
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  public void reportEvaluation(String name, EvaluationReport report) throws StatusException {
    lock.lock();
    try {
      requireMember(name);
      if (!finished) {
        throw status(Status.FAILED_PRECONDITION, "job " + config.jobId() + " has not finished; report the final "
            + "evaluation after Finished");
      }
      if (report.getModelVersion() != modelVersion) {
        throw status(Status.FAILED_PRECONDITION, "evaluation is of model version " + report.getModelVersion()
            + " but the final model of job " + config.jobId() + " is version " + modelVersion);
      }
      admission.checkEvaluationSamples(name, report.getNumSamples());
      admission.checkMetrics("evaluation of party '" + name + "'", report.getMetricsMap());
      Map<String, Double> values = new TreeMap<>(report.getMetricsMap());
      values.put(MetricNames.NUM_SAMPLES, (double) report.getNumSamples());
      finalEvaluations.put(name, values);
      log.info("job {}: party {} reported the final model's evaluation {}", config.jobId(), name, report.getMetricsMap());
      writeStatus();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The round loop

  /** What to do when {@link #run()} dies of an unexpected Throwable; the default only rethrows. */
  public RoundCoordinator onFatalError(FatalErrorHandler handler) {
    this.fatalErrorHandler = java.util.Objects.requireNonNull(handler, "handler");
    return this;
  }

  /**
   * Runs the job to its end (all rounds, Finished, final evaluations or their wait). An unexpected
   * Throwable is logged with the job and handed to the {@link FatalErrorHandler} (outside the lock),
   * then rethrown; an interrupt is not fatal.
   */
  public void run() throws InterruptedException {
    try {
      runJob();
    } catch (InterruptedException e) {
      throw e;
    } catch (Throwable t) {
      log.error("job {}: round coordinator died at round {} of {} (model version {}): {}", config.jobId(),
          roundsCompleted + 1, config.rounds(), modelVersion, t.toString(), t);
      fatalErrorHandler.onFatal(config.jobId(), t);
      throw t;
    }
  }

  private void runJob() throws InterruptedException {
    lock.lock();
    try {
      writeStatus();
      boolean finishedHere = false;
      while (roundsCompleted < config.rounds()) {
        awaitQuorum();
        runRound();
        finishedHere = true;
      }
      finished = true;
      if (finishedHere) {
        awaitingFinalEvaluation.clear();
      } else {
        // restarted after the last round: wait for the known parties that have not reported yet
        awaitingFinalEvaluation.addAll(slots.names());
      }
      for (Party p : slots.all()) {
        if (p.stream != null) {
          awaitingFinalEvaluation.add(p.name);
          sendFinished(p);
        }
      }
      exportFinal();
      log.info("job {}: finished {} rounds (model version {}); waiting up to {} for final evaluations from {}",
          config.jobId(), roundsCompleted, modelVersion, config.finalEvaluationWait(), awaitingFinalEvaluation);
      writeStatus();
      Instant end = clock.instant().plus(config.finalEvaluationWait());
      while (!finalEvaluations.keySet().containsAll(awaitingFinalEvaluation) && clock.instant().isBefore(end)) {
        changed.await(remainingMillis(end), TimeUnit.MILLISECONDS);
      }
      saveCheckpoint();
      writeStatus();
      log.info("job {}: done; final accuracy {}", config.jobId(), RoundMetrics.finalAccuracy(finalEvaluations.values()));
    } finally {
      lock.unlock();
    }
  }

  private void awaitQuorum() throws InterruptedException {
    if (!excludedUntilRoundCompletes.isEmpty()) {
      long eligible = slots.all().stream()
          .filter(p -> p.stream != null && !excludedUntilRoundCompletes.contains(p.name)).count();
      if (eligible < config.minParties()) {
        log.warn("job {}: only {} parties besides {} are connected, fewer than --min-parties {}; asking them again",
            config.jobId(), eligible, excludedUntilRoundCompletes, config.minParties());
        excludedUntilRoundCompletes.clear();
      }
    }
    int wanted = firstRoundOfProcess ? config.expectedParties() : config.minParties();
    Instant graceEnd = null;
    Instant nextLog = clock.instant();
    while (true) {
      tidySlots();
      int connected = connectedCount();
      if (connected >= wanted) {
        break;
      }
      Instant now = clock.instant();
      if (connected >= config.minParties()) {
        if (graceEnd == null) {
          graceEnd = now.plus(config.joinGrace());
          log.info("job {}: {} of {} expected parties connected; starting in {} unless the rest connect", config.jobId(),
              connected, wanted, config.joinGrace());
        }
        if (!now.isBefore(graceEnd)) {
          break;
        }
        changed.await(Math.min(remainingMillis(graceEnd), HOUSEKEEPING_MILLIS), TimeUnit.MILLISECONDS);
      } else {
        if (!now.isBefore(nextLog)) {
          log.info("job {}: waiting for parties: {} connected, {} needed to start round {}", config.jobId(), connected,
              config.minParties(), roundsCompleted + 1);
          nextLog = now.plusSeconds(30);
        }
        changed.await(HOUSEKEEPING_MILLIS, TimeUnit.MILLISECONDS);
      }
    }
    firstRoundOfProcess = false;
  }

  private void runRound() throws InterruptedException {
    Instant started = clock.instant();
    long startedNanos = System.nanoTime();
    attemptsOfCurrentRound++;
    Round round = new Round(roundsCompleted + 1, attemptsOfCurrentRound, started.plus(config.roundTimeout()),
        new WeightedSum(specs), global);
    current = round;
    for (Party p : slots.all()) {
      if (p.stream != null && !excludedUntilRoundCompletes.contains(p.name)) {
        round.participants.add(p.name);
        sendTrain(p, round);
      }
    }
    log.info("job {}: round {} (attempt {}) started with parties {}, deadline in {}", config.jobId(), round.number,
        round.attempt, round.participants, config.roundTimeout());
    while (!allDone(round) && clock.instant().isBefore(round.deadline)) {
      // wake at least every second to take back slots whose parties are gone for good
      changed.await(Math.min(remainingMillis(round.deadline), HOUSEKEEPING_MILLIS), TimeUnit.MILLISECONDS);
      tidySlots();
    }
    round.closed = true;
    // uploads whose data is already in the sum may finish; others are late from now on
    Instant graceEnd = clock.instant().plus(min(config.roundTimeout(), Duration.ofSeconds(30)));
    while (round.active.values().stream().anyMatch(u -> u.foldedAny) && clock.instant().isBefore(graceEnd)) {
      changed.await(remainingMillis(graceEnd), TimeUnit.MILLISECONDS);
    }
    for (Upload u : round.active.values()) {
      u.cancelled = true;
      if (u.foldedAny) {
        round.taintedBy = u.party;
        round.tainted = "the update of party '" + u.party + "' was still streaming when round " + round.number + " closed";
      }
    }
    round.active.clear();
    current = null;

    Map<String, String> lateOrDropped = new TreeMap<>(retriedLateOrDropped);
    for (String name : round.participants) {
      String outcome = round.outcomes.get(name);
      if (!ACCEPTED.equals(outcome)) {
        Party p = slots.get(name);
        lateOrDropped.put(name, outcome != null ? outcome : p == null || p.stream == null ? "dropped" : "late");
      }
    }
    int arrived = round.accepted.size();
    if (arrived >= config.minParties() && round.tainted == null) {
      long aggStart = System.nanoTime();
      float[][] next = strategy.nextGlobal(global, round.sum.average());
      double aggregationSeconds = (System.nanoTime() - aggStart) / 1e9;
      global = next;
      modelVersion++;
      roundsCompleted++;
      double duration = (System.nanoTime() - startedNanos) / 1e9;
      long samples = 0;
      for (UpdateHeader h : round.accepted.values()) {
        // each count is at most --max-samples-per-party (<= 2^40); saturate rather than wrap all the same
        samples = saturatedAdd(samples, h.getNumSamples());
      }
      RoundTimes times = RoundMetrics.times(duration, round.accepted.values());
      RoundRecord record = new RoundRecord(round.number, round.attempt, List.copyOf(round.accepted.keySet()),
          lateOrDropped, samples, round.number - 1, RoundMetrics.weighted(round.accepted.values()), duration,
          aggregationSeconds, times, clock.millis());
      history.add(record);
      retriedLateOrDropped.clear();
      excludedUntilRoundCompletes.clear();
      attemptsOfCurrentRound = 0;
      metrics.roundsCompleted(roundsCompleted);
      metrics.roundDuration(duration);
      metrics.aggregationTime(aggregationSeconds);
      saveCheckpoint();
      exportRound(round.number);
      writeStatus();
      log.info("job {}: round {} completed: aggregated {} ({} samples), late or dropped {}, metrics of model {} {}, "
              + "{} s ({}aggregation {} ms)", config.jobId(), round.number, record.parties(), samples, lateOrDropped,
          round.number - 1, record.metrics(), String.format("%.1f", duration), timesForLog(times),
          String.format("%.2f", aggregationSeconds * 1000));
    } else {
      retriedLateOrDropped.putAll(lateOrDropped);
      if (round.taintedBy != null) {
        // the retry goes on without the party whose broken update forced it, so it cannot force another
        excludedUntilRoundCompletes.add(round.taintedBy);
      }
      metrics.roundRetried();
      log.warn("job {}: round {} attempt {} failed: {}; late or dropped {}; retrying", config.jobId(), round.number,
          round.attempt, round.tainted != null ? round.tainted
              : arrived + " updates arrived, --min-parties is " + config.minParties(), lateOrDropped);
      writeStatus();
    }
  }

  private boolean allDone(Round round) {
    for (String name : round.participants) {
      if (round.active.containsKey(name)) {
        return false;
      }
      Party p = slots.get(name);
      if (!round.outcomes.containsKey(name) && p != null && p.stream != null) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // State, status

  private void saveCheckpoint() {
    List<Checkpoint.PartyRecord> known = new ArrayList<>();
    for (Party p : slots.all()) {
      known.add(new Checkpoint.PartyRecord(p.name, p.index, p.numSamples));
    }
    try {
      checkpoints.save(new Checkpoint(config.jobId(), source.name(), specs, strategy.name(), config.rounds(), roundsCompleted,
          modelVersion, new HeapModel(modelVersion, specs, global), strategy.state(), known, List.copyOf(history), new LinkedHashMap<>(finalEvaluations),
          metrics.bytesUp(), metrics.bytesDown()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the checkpoint " + checkpoints.file(), e);
    }
  }

  /** Writes round's global model to <state-dir>/models/ with --export-every-round. */
  private void exportRound(int round) {
    try {
      Path file = export.writeRound(new HeapModel(modelVersion, specs, global), round);
      if (file != null) {
        log.info("job {}: round {}: exported the global model (version {}) to {}", config.jobId(), round, modelVersion,
            file.toAbsolutePath());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot export round " + round + "'s model", e);
    }
  }

  /** Writes the final global model (--export); the job's result, so failing to write it is fatal. */
  private void exportFinal() {
    try {
      exportedFinal = export.writeFinal(new HeapModel(modelVersion, specs, global), roundsCompleted);
      log.info("job {}: exported the final global model (round {}, version {}) to {}", config.jobId(), roundsCompleted,
          modelVersion, exportedFinal.toAbsolutePath());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot export the final model to " + export.finalFile(), e);
    }
  }

  /** The job's status (the status file's content; aggregator-server/README.md describes its fields). */
  public JobStatus status() {
    lock.lock();
    try {
      List<String> connected = new ArrayList<>();
      slots.all().stream().filter(p -> p.stream != null).forEach(p -> connected.add(p.name));
      Double finalAccuracy = RoundMetrics.finalAccuracy(finalEvaluations.values());
      Map<String, Map<String, Double>> evaluations = new LinkedHashMap<>();
      finalEvaluations.forEach((party, values) -> evaluations.put(party, new TreeMap<>(values)));
      return new JobStatus(
          config.jobId(),
          source.name(),
          absolute(config.initialModel()),
          absolute(exportedFinal),
          absolute(export.roundsDirectory()),
          strategy.name(),
          roundsCompleted,
          config.rounds(),
          finished,
          modelVersion,
          slots.allowList().isOpen() ? "open" : "allow-list",
          slots.allowList().isOpen() ? null : List.copyOf(slots.allowList().names()),
          slots.capacity(),
          List.copyOf(slots.names()),
          List.copyOf(connected),
          current == null ? null : current.number,
          history.isEmpty() ? null : history.get(0).accuracy(),
          RoundMetrics.accuracyPerRound(history, roundsCompleted, finished, finalAccuracy),
          finalAccuracy,
          RoundMetrics.lateOrDropped(history),
          List.copyOf(history),
          evaluations,
          metrics.bytesUp(),
          metrics.bytesDown(),
          tlsProvider,
          clock.millis());
    } finally {
      lock.unlock();
    }
  }

  private static String absolute(Path path) {
    return path == null ? null : path.toAbsolutePath().toString();
  }

  /** "training 3.9 s, evaluation 0.2 s, protocol 0.1 s, " for the round's log line; "" when unknown. */
  private static String timesForLog(RoundTimes times) {
    if (times.trainingSeconds() == null) {
      return "";
    }
    return String.format("training %.1f s, evaluation %.1f s, protocol %.1f s, ", times.trainingSeconds(),
        times.evaluationSeconds(), times.protocolSeconds());
  }

  private void writeStatus() {
    if (config.statusFile() == null) {
      return;
    }
    try {
      byte[] json = StatusJson.write(status()).getBytes(StandardCharsets.UTF_8);
      AtomicFiles.write(config.statusFile(), out -> out.write(json));
    } catch (IOException | IllegalArgumentException e) {
      // IllegalArgumentException: a non-finite number, which strict JSON cannot hold; the job goes on without this write
      log.error("job {}: cannot write the status file {}: {}", config.jobId(), config.statusFile(), e.toString());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  public int roundsCompleted() {
    lock.lock();
    try {
      return roundsCompleted;
    } finally {
      lock.unlock();
    }
  }

  public boolean finished() {
    lock.lock();
    try {
      return finished;
    } finally {
      lock.unlock();
    }
  }

  /** A copy of the global model and its version. */
  public ModelSnapshot globalModel() {
    lock.lock();
    try {
      return new ModelSnapshot(modelVersion, specs, global);
    } finally {
      lock.unlock();
    }
  }

  public List<RoundRecord> history() {
    lock.lock();
    try {
      return List.copyOf(history);
    } finally {
      lock.unlock();
    }
  }

  private void requireMember(String name) throws StatusException {
    if (!slots.holds(name)) {
      throw rejected(Status.PERMISSION_DENIED, notMember(name));
    }
  }

  private String notMember(String name) {
    return "party '" + name + "' is not a member of job " + config.jobId() + " (it has not joined, or its slot was "
        + "released)";
  }

  private void requireLive(Upload upload) throws StatusException {
    if (upload.cancelled || upload.finished) {
      throw status(Status.DEADLINE_EXCEEDED, "round " + upload.round.number + " of job " + config.jobId()
          + " closed before the update of party '" + upload.party + "' completed");
    }
    if (upload.round.closed && !upload.foldedAny) {
      throw status(Status.DEADLINE_EXCEEDED, "round " + upload.round.number + " of job " + config.jobId()
          + " closed at its deadline before the update of party '" + upload.party + "' arrived");
    }
  }

  /** A refusal that does not change the party's standing in the round (e.g. a stale round). */
  private StatusException rejected(Status code, String description) {
    metrics.updateRejected(code.getCode());
    log.warn("job {}: refused: {} {}", config.jobId(), code.getCode(), description);
    return code.withDescription(description).asException();
  }

  /** A refusal of the party's update for this round: the round stops waiting for it. */
  private StatusException reject(Round round, String name, Status code, String description) {
    round.outcomes.put(name, "rejected: " + description);
    changed.signalAll();
    return rejected(code, description);
  }

  private static StatusException status(Status code, String description) {
    return code.withDescription(description).asException();
  }

  private void sendTrain(Party party, Round round) {
    party.send(RoundEvent.newBuilder().setTrain(TrainRequest.newBuilder()
        .setRound(round.number)
        .setModelVersion(modelVersion)
        .setDeadlineUnixMillis(round.deadline.toEpochMilli())
        .setAttempt(round.attempt)).build());
  }

  private void sendFinished(Party party) {
    party.send(RoundEvent.newBuilder().setFinished(Finished.newBuilder()
        .setRoundsCompleted(roundsCompleted).setModelVersion(modelVersion)).build());
    ServerCallStreamObserver<RoundEvent> stream = party.stream;
    party.stream = null;
    updateConnectedGauge();
    if (stream != null) {
      try {
        stream.onCompleted();
      } catch (RuntimeException e) {
        log.debug("job {}: closing the Rounds stream of {}: {}", config.jobId(), party.name, e.toString());
      }
    }
  }

  private int connectedCount() {
    int n = 0;
    for (Party p : slots.all()) {
      if (p.stream != null) {
        n++;
      }
    }
    return n;
  }

  private void updateConnectedGauge() {
    metrics.partiesConnected(connectedCount());
  }

  private long remainingMillis(Instant until) {
    return Math.max(1, Duration.between(clock.instant(), until).toMillis());
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** The global model at a version; the arrays must not be modified. */
  public record ModelSnapshot(long version, List<TensorSpec> specs, float[][] tensors) {}

  static final class Round {
    final int number;
    final int attempt;
    final Instant deadline;
    final WeightedSum sum;
    /** The global model the round started from (updates' norms are measured against it). */
    final float[][] base;
    final Set<String> participants = new LinkedHashSet<>();
    /** party -> ACCEPTED or "rejected: ..." */
    final Map<String, String> outcomes = new HashMap<>();
    final Map<String, UpdateHeader> accepted = new LinkedHashMap<>();
    final Map<String, Upload> active = new HashMap<>();
    boolean closed;
    String tainted;
    String taintedBy;

    Round(int number, int attempt, Instant deadline, WeightedSum sum, float[][] base) {
      this.number = number;
      this.attempt = attempt;
      this.deadline = deadline;
      this.sum = sum;
      this.base = base;
    }
  }
}
