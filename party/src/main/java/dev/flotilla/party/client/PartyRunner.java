package dev.flotilla.party.client;

import dev.flotilla.cli.ExitCode;
import dev.flotilla.common.logging.LogContext;
import dev.flotilla.party.train.Evaluation;
import dev.flotilla.party.train.LocalTrainer;
import dev.flotilla.party.train.LocalUpdate;
import dev.flotilla.party.train.RoundContext;
import dev.flotilla.party.train.TrainerException;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.ModelAssembler;
import dev.flotilla.protocol.tensor.TensorStreamException;
import dev.flotilla.protocol.tensor.WireEncoding;
import dev.flotilla.protocol.v1.Encoding;
import dev.flotilla.protocol.v1.EvaluationReport;
import dev.flotilla.protocol.v1.Finished;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateHeader;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The party's life: join, then for every TrainRequest take the global model (sent along or fetched), have the
 * {@link LocalTrainer} evaluate it on the test data and train it on the local data, and submit the
 * weights; on Finished evaluate the final model, report it and stop. A round the trainer fails
 * (e.g. an external command that exits non-zero or writes a wrong tensor) is skipped with a log
 * line naming it; the party waits for the next one. When the server goes away (a crash, a restart on the same state) the party
 * reconnects with backoff, joins again and carries on from the server's current round; an update
 * trained for a round the server asks for again, and not yet accepted, is resubmitted without retraining.
 */
public final class PartyRunner {
  private static final Logger log = LoggerFactory.getLogger(PartyRunner.class);
  private static final int MAX_CONSECUTIVE_TLS_FAILURES = 3;
  private static final int MAX_REPORT_ATTEMPTS = 3;

  private final RunnerSettings settings;
  private final ChannelFactory channels;
  private final LocalTrainer trainer;
  private final PartyIdentity identity;
  private final Clock clock;
  private final CountDownLatch stopped = new CountDownLatch(1);
  /** The peer channel, when the party serves a peer endpoint (--peer-port), else null. */
  private dev.flotilla.party.peer.PeerChannel peers;
  private final AtomicReference<FederationSession> current = new AtomicReference<>();

  private String jobId = "?";
  private String partyName;
  private Integer trainingSamples;
  private List<TensorSpec> layout;
  private volatile Trained lastTrained;
  private JoinResponse currentJoin;
  private WireEncoding updateEncoding = WireEncoding.FLOAT32;

  /** The weights trained for one round from one global model version, kept until they are accepted. */
  private record Trained(int round, long modelVersion, LocalUpdate update) {}

  /** How serving a session ended. */
  private sealed interface Outcome {
    record Finished(double accuracy) implements Outcome {}

    record Disconnected(Status status) implements Outcome {}
  }

  @Inject
  public PartyRunner(RunnerSettings settings, ChannelFactory channels, LocalTrainer trainer, PartyIdentity identity,
      Clock clock) {
    this.settings = settings;
    this.channels = channels;
    this.trainer = trainer;
    this.identity = identity;
    this.clock = clock;
    this.partyName = identity.name();
  }

  /** Serves and uses the party-to-party channel: announced at every Join, rosters taken from every TrainRequest. */
  public void usePeerChannel(dev.flotilla.party.peer.PeerChannel peers) {
    this.peers = peers;
  }

  /**
   * Runs until the job finishes.
   *
   * @return the final global model's accuracy (R² for a regression) on the test data
   * @throws FatalPartyException when the party cannot go on (refused, TLS failure, server gone too long)
   * @throws InterruptedException when stopped from another thread
   */
  public double run() throws InterruptedException {
    Backoff backoff = new Backoff(settings.initialBackoff(), settings.maxBackoff(), settings.seed() ^ identity.name().hashCode());
    Instant outageSince = null;
    int tlsFailures = 0;
    jobId = identity.identity().job();
    LogContext.set(LogContext.ROLE, LogContext.ROLE_PARTY);
    LogContext.set(LogContext.JOB, jobId);
    LogContext.set(LogContext.PARTY, partyName);
    log.info("{} training {}", prefix(), trainer.description());
    try {
      while (stopped.getCount() > 0) {
        Status lost;
        boolean joined = false;
        try (FederationSession session = new FederationSession(channels.open(), settings.deadlines(), channels.bulkUploads())) {
          current.set(session);
          if (peers != null) {
            session.announcePeer(peers::announce);
          }
          JoinResponse join = session.join(trainingSamples());
          joined = true;
          backoff.reset();
          outageSince = null;
          tlsFailures = 0;
          onJoined(join);
          session.openRounds();
          Outcome outcome = serve(session);
          if (outcome instanceof Outcome.Finished finished) {
            return finished.accuracy();
          }
          lost = ((Outcome.Disconnected) outcome).status();
        } catch (StatusRuntimeException e) {
          Status status = e.getStatus();
          Optional<SSLException> tls = Failures.tlsCause(e);
          if (tls.isPresent()) {
            tlsFailures++;
            if (Failures.looksLikeCertificateProblem(tls.get()) || tlsFailures >= MAX_CONSECUTIVE_TLS_FAILURES) {
              throw new FatalPartyException(ExitCode.TLS, "TLS handshake with "
                  + channels.describe() + " failed: " + Failures.rootMessage(tls.get())
                  + "; check that --ca is the CA that signed the server's certificate, that --cert/--key are a "
                  + "party certificate from the job's CA, and that --server-name matches a DNS name in the "
                  + "server's certificate", e);
            }
          } else {
            tlsFailures = 0;
            Optional<String> refusal = Failures.refusalAtJoin(status);
            if (refusal.isPresent()) {
              throw new FatalPartyException(ExitCode.REFUSED, refusal.get() + " [job " + jobId + ", party "
                  + partyName + ", server " + channels.describe() + "]", e);
            }
          }
          lost = status;
        } finally {
          current.set(null);
        }
        if (stopped.getCount() == 0) {
          break;
        }
        Instant now = clock.instant();
        if (outageSince == null) {
          outageSince = now;
        }
        if (Duration.between(outageSince, now).compareTo(settings.maxOutage()) > 0) {
          throw new FatalPartyException(ExitCode.UNREACHABLE, "gave up at " + now + ": the server "
              + channels.describe() + " has been unreachable since " + outageSince + ", longer than --give-up-after "
              + dev.flotilla.cli.Durations.format(settings.maxOutage()) + " (last error " + Failures.describe(lost)
              + "); check that the server runs and that --server points at it");
        }
        Duration delay = backoff.nextDelay();
        log.warn("{} {} {} ({}); reconnecting in {} ms", prefix(), joined ? "lost" : "cannot reach",
            channels.describe(), Failures.describe(lost), delay.toMillis());
        stopped.await(delay.toMillis(), TimeUnit.MILLISECONDS);
      }
      throw new InterruptedException("party stopped");
    } finally {
      trainer.close();
      if (peers != null) {
        peers.close();
      }
    }
  }

  /** The sample count announced in Join, asked of the trainer once. */
  private int trainingSamples() {
    if (trainingSamples == null) {
      try {
        trainingSamples = trainer.trainingSamples(RoundContext.beforeRounds(jobId, partyName));
      } catch (TrainerException e) {
        throw new FatalPartyException(ExitCode.BAD_INPUT, "cannot count the training samples: "
            + e.getMessage(), e);
      }
    }
    return trainingSamples;
  }

  /**
   * Values of the trained update this party still keeps (0 once it was accepted): kept only to resubmit it,
   * without retraining, after a reconnect or in a retry of its round.
   */
  public long retainedUpdateValues() {
    Trained trained = lastTrained;
    if (trained == null) {
      return 0;
    }
    long values = 0;
    for (float[] tensor : trained.update().weights()) {
      values += tensor.length;
    }
    return values;
  }

  /** Stops a running {@link #run()} from another thread (e.g. a shutdown hook). */
  public void stop() {
    stopped.countDown();
    FederationSession session = current.get();
    if (session != null) {
      session.close();
    }
  }

  private void onJoined(JoinResponse join) {
    jobId = join.getJobId();
    if (!join.getPartyName().isEmpty()) {
      partyName = join.getPartyName();
    }
    LogContext.set(LogContext.JOB, jobId);
    LogContext.set(LogContext.PARTY, partyName);
    if (settings.model() != null && !sameBuiltIn(settings.model(), join.getModel())) {
      throw new FatalPartyException(ExitCode.BAD_INPUT, "this party was started with --model "
          + settings.model() + " but job " + jobId + " trains '" + join.getModel() + "'; use --model "
          + join.getModel() + " or leave --model out");
    }
    try {
      updateEncoding = WireEncoding.of(join.getUpdateEncoding());
    } catch (IllegalArgumentException e) {
      throw new FatalPartyException(ExitCode.BAD_INPUT, "job " + jobId + " asks for updates encoded as "
          + (join.getUpdateEncoding() == Encoding.UNRECOGNIZED ? "unknown (" + join.getUpdateEncodingValue() + ")"
              : join.getUpdateEncoding()) + ", which this party cannot send; it sends " + WireEncoding.NAMES, e);
    }
    if (layout == null) {
      try {
        List<TensorSpec> jobLayout = JobLayout.of(join, Runtime.getRuntime().maxMemory());
        trainer.prepare(join.getModel(), jobLayout);
        layout = jobLayout;
      } catch (IllegalArgumentException e) {
        throw new FatalPartyException(ExitCode.BAD_INPUT, "job " + jobId + " trains model '"
            + join.getModel() + "', which this party cannot train: " + e.getMessage(), e);
      }
    }
    log.info("{} joined: strategy {}, model {}, {} rounds, {} completed, party index {}, {} local epoch(s), "
            + "batch {}, lr {}, momentum {}, weight decay {}{}, updates in {}",
        prefix(), join.getStrategy(), join.getModel().isEmpty() ? "(from a file, " + layout.size() + " tensors)"
            : join.getModel(), join.getRounds(), join.getCurrentRound(),
        join.getPartyIndex(), epochs(join), settings.batchSize(), settings.learningRate(), settings.momentum(), settings.weightDecay(),
        join.getFedproxMu() > 0 ? ", FedProx mu " + join.getFedproxMu() : "", updateEncoding.describe());
    currentJoin = join;
  }

  /** "mlp" and "mlp:784-200-200-10" are the same model. */
  private static boolean sameBuiltIn(String expected, String jobModel) {
    return expected.equals(jobModel)
        || ModelSpecs.isBuiltIn(jobModel) && ModelSpecs.forName(expected).equals(ModelSpecs.forName(jobModel));
  }

  private int epochs(JoinResponse join) {
    if (settings.localEpochs() != null) {
      return settings.localEpochs();
    }
    return join.getLocalEpochs() > 0 ? join.getLocalEpochs() : 1;
  }

  private Outcome serve(FederationSession session) throws InterruptedException {
    while (stopped.getCount() > 0) {
      FederationSession.Incoming incoming = session.nextIncoming(Duration.ofSeconds(30));
      if (incoming == null) {
        continue;
      }
      if (incoming instanceof FederationSession.Incoming.Ended ended) {
        return new Outcome.Disconnected(ended.status());
      }
      RoundEvent event = ((FederationSession.Incoming.Event) incoming).event();
      try {
        switch (event.getEventCase()) {
          case TRAIN -> train(session, event.getTrain());
          case FINISHED -> {
            return new Outcome.Finished(finish(session, event.getFinished()));
          }
          default -> log.warn("{} ignoring an empty round event", prefix());
        }
      } catch (StatusRuntimeException e) {
        if (isConnectionLoss(e.getStatus())) {
          return new Outcome.Disconnected(e.getStatus());
        }
        log.warn("{} the server rejected this party's call: {}; waiting for the next round",
            prefix(), Failures.describe(e.getStatus()));
      } catch (TensorStreamException e) {
        log.warn("{} the server sent a model that does not fit the {} layout: {}; waiting for the next round",
            prefix(), currentJoin.getModel(), e.getMessage());
      }
    }
    throw new InterruptedException("party stopped");
  }

  private static boolean isConnectionLoss(Status status) {
    return switch (status.getCode()) {
      case UNAVAILABLE, CANCELLED, UNKNOWN, INTERNAL -> true;
      default -> false;
    };
  }

  private void train(FederationSession session, TrainRequest request) throws TensorStreamException, InterruptedException {
    int round = request.getRound();
    LogContext.round(round);
    if (peers != null) {
      peers.onRound(request);
    }
    if (session.peekIncoming() instanceof FederationSession.Incoming.Event next && next.event().hasTrain()) {
      log.info("{} round {}: skipped, the server has already asked for round {}", prefix(), round,
          next.event().getTrain().getRound());
      return;
    }
    long deadline = request.getDeadlineUnixMillis();
    if (deadline > 0 && clock.millis() > deadline) {
      log.warn("{} round {}: skipped, its deadline {} has passed", prefix(), round, Instant.ofEpochMilli(deadline));
      return;
    }
    if (request.hasSecureAggregation()) {
      trainMasked(session, request);
      return;
    }
    long started = System.nanoTime();
    Trained trained = lastTrained;
    boolean reused = trained != null && trained.round() == round && trained.modelVersion() == request.getModelVersion();
    if (!reused) {
      ModelAssembler.Decoded global = session.modelFor(request, layout);
      TrainingOptions options = new TrainingOptions(epochs(currentJoin), settings.batchSize(),
          settings.learningRate(), settings.momentum(), (float) currentJoin.getFedproxMu(),
          shuffleSeed(round), settings.weightDecay());
      RoundContext context = new RoundContext(jobId, partyName, round, request.getAttempt(), request.getModelVersion());
      LocalUpdate update;
      try {
        update = trainer.train(context, global.tensors(), options);
      } catch (TrainerException e) {
        log.warn("{} round {}: skipped, training failed: {}; waiting for the next round", prefix(), round,
            e.getMessage());
        decline(session, request, "training failed: " + e.getMessage());
        return;
      }
      trained = new Trained(round, request.getModelVersion(), update);
      lastTrained = trained;
    }
    LocalUpdate update = trained.update();
    try {
      // whatever trained it: the one place an update leaves the party
      updateEncoding.requireEncodable(layout, update.weights());
    } catch (TensorStreamException e) {
      log.warn("{} round {}: skipped, the update cannot be sent as {} (the job's --update-encoding {}): {}; waiting "
          + "for the next round", prefix(), round, updateEncoding.describe(), updateEncoding.flagName(), e.getMessage());
      decline(session, request, "the update cannot be sent as " + updateEncoding.describe() + ": " + e.getMessage());
      return;
    }
    UpdateHeader header = UpdateHeader.newBuilder()
        .setRound(round)
        .setNumSamples(update.samples())
        .putAllMetrics(update.metrics())
        .setEncoding(updateEncoding.proto())
        .build();
    SubmitUpdateResponse response = session.submitUpdate(header, layout, update.weights(), request.getUploadTicket());
    // accepted: never resubmitted, so not kept (a party of the simulator keeps nothing between the rounds it is sampled for)
    lastTrained = null;
    log.info("{} round {}/{}{}: global model v{} {}; {} on {} samples; update of {} values accepted; {} s",
        prefix(), round, currentJoin.getRounds(), request.getAttempt() > 1 ? " (attempt " + request.getAttempt() + ")" : "",
        request.getModelVersion(), describe(update.metrics()),
        reused ? "resubmitted the update trained before the reconnect" : "trained " + epochs(currentJoin) + " epoch(s)",
        update.samples(), response.getValuesReceived(), String.format("%.1f", (System.nanoTime() - started) / 1e9));
  }

  /**
   * A round of a --secure-aggregation job: keys and shares first (so the neighbours hold this party's
   * secrets before anyone trains), then training, then the masked update and the unmasking.
   */
  private void trainMasked(FederationSession session, TrainRequest request) throws TensorStreamException,
      InterruptedException {
    int round = request.getRound();
    long started = System.nanoTime();
    try (dev.flotilla.protocol.secagg.SecureRoundClient masked = session.openMaskedRound(request,
        channels.keyBinding(), dev.flotilla.party.peer.PeerShareCourier.forRound(peers, request, clock))) {
      masked.shareKeys();
      if (masked.noiseOnly()) {
        // padding a distributed-DP sample of fewer than 3: only the noise share counts, so nothing is trained
        int survivors = masked.submitNoiseOnly(session.modelFor(request, layout).tensors());
        log.info("{} round {}/{}: not sampled; sent its noise share only (padding the sample, nothing trained), "
            + "summed with {} parties' (secure aggregation); {} s", prefix(), round, currentJoin.getRounds(), survivors,
            String.format("%.1f", (System.nanoTime() - started) / 1e9));
        return;
      }
      Trained trained = lastTrained;
      float[][] base = null; // the global model trained from: a distributed-DP input is the difference from it
      if (trained == null || trained.round() != round || trained.modelVersion() != request.getModelVersion()) {
        ModelAssembler.Decoded global = session.modelFor(request, layout);
        base = masked.needsGlobalModel() ? deepCopy(global.tensors()) : null;
        TrainingOptions options = new TrainingOptions(epochs(currentJoin), settings.batchSize(),
            settings.learningRate(), settings.momentum(), (float) currentJoin.getFedproxMu(),
            shuffleSeed(round), settings.weightDecay());
        RoundContext context = new RoundContext(jobId, partyName, round, request.getAttempt(), request.getModelVersion());
        try {
          trained = new Trained(round, request.getModelVersion(), trainer.train(context, global.tensors(), options));
        } catch (TrainerException e) {
          log.warn("{} round {}: skipped, training failed: {}; waiting for the next round", prefix(), round,
              e.getMessage());
          return;
        }
        lastTrained = trained;
      }
      LocalUpdate update = trained.update();
      if (masked.needsGlobalModel() && base == null) {
        base = session.modelFor(request, layout).tensors();
      }
      int survivors = masked.submit(update.weights(), base, update.samples(), update.metrics());
      lastTrained = null;
      log.info("{} round {}/{}{}: global model v{} {}; trained on {} samples; masked update summed with {} parties' "
              + "(secure aggregation); {} s", prefix(), round, currentJoin.getRounds(),
          request.getAttempt() > 1 ? " (attempt " + request.getAttempt() + ")" : "", request.getModelVersion(),
          describe(update.metrics()), update.samples(), survivors,
          String.format("%.1f", (System.nanoTime() - started) / 1e9));
    } catch (dev.flotilla.protocol.secagg.SecAggException e) {
      log.warn("{} round {}: left the masked round: {}; waiting for the next round", prefix(), round, e.getMessage());
    }
  }

  /**
   * Tells the server this party skips the round attempt, so the round does not wait for it until its deadline. An
   * older server without DeclineRound answers UNIMPLEMENTED: the round then waits, as it always did.
   */
  private void decline(FederationSession session, TrainRequest request, String reason) {
    try {
      session.declineRound(request.getRound(), request.getAttempt(), DeclineReason.of(reason));
      log.info("{} round {}: declined; the server does not wait for this party's update", prefix(), request.getRound());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
        log.warn("{} round {}: the server takes no DeclineRound (an older version); the round waits for its deadline",
            prefix(), request.getRound());
      } else if (isConnectionLoss(e.getStatus())) {
        throw e;
      } else {
        log.warn("{} round {}: the server refused the decline: {}", prefix(), request.getRound(),
            Failures.describe(e.getStatus()));
      }
    }
  }

  /** A copy the trainer cannot change (it may train in the arrays it is given). */
  private static float[][] deepCopy(float[][] tensors) {
    float[][] copy = new float[tensors.length][];
    for (int t = 0; t < tensors.length; t++) {
      copy[t] = tensors[t].clone();
    }
    return copy;
  }

  private long shuffleSeed(int round) {
    long mixed = settings.seed() * 0x9E3779B97F4A7C15L + settings.partitionIndex() * 0xBF58476D1CE4E5B9L + round;
    return mixed ^ (mixed >>> 31);
  }

  private double finish(FederationSession session, Finished finished) throws TensorStreamException, InterruptedException {
    ModelAssembler.Decoded global = session.fetchModel(finished.getModelVersion(), layout);
    RoundContext context = new RoundContext(jobId, partyName, finished.getRoundsCompleted(), 1,
        finished.getModelVersion());
    Evaluation evaluation;
    try {
      evaluation = trainer.evaluate(context, global.tensors());
    } catch (TrainerException e) {
      throw new FatalPartyException(ExitCode.BAD_INPUT, "the final model v" + finished.getModelVersion()
          + " could not be evaluated: " + e.getMessage() + " [job " + jobId + ", party " + partyName + "]", e);
    }
    EvaluationReport report = EvaluationReport.newBuilder()
        .setModelVersion(finished.getModelVersion())
        .putAllMetrics(evaluation.metrics())
        .setNumSamples(evaluation.samples())
        .build();
    for (int attempt = 1; ; attempt++) {
      try {
        session.reportEvaluation(report);
        break;
      } catch (StatusRuntimeException e) {
        if (attempt >= MAX_REPORT_ATTEMPTS || !isConnectionLoss(e.getStatus())) {
          log.warn("{} could not report the final evaluation: {}", prefix(), Failures.describe(e.getStatus()));
          break;
        }
        stopped.await(500L * attempt, TimeUnit.MILLISECONDS);
      }
    }
    log.info("{} job finished after {} rounds: final global model v{} {} on {} test samples",
        prefix(), finished.getRoundsCompleted(), finished.getModelVersion(), evaluation.describe(),
        evaluation.samples());
    return evaluation.score();
  }

  private String prefix() {
    return "[job " + jobId + ", party " + partyName + "]";
  }

  private static String describe(java.util.Map<String, Double> metrics) {
    StringBuilder text = new StringBuilder();
    new java.util.TreeMap<>(metrics).forEach((name, value) -> text.append(text.length() > 0 ? ", " : "")
        .append(name).append(' ').append(String.format(java.util.Locale.ROOT, "%.4f", value)));
    return text.toString();
  }
}
