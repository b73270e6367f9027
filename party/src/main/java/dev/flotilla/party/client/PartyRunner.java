package dev.flotilla.party.client;

import dev.flotilla.party.PartyDataset;
import dev.flotilla.party.train.Architecture;
import dev.flotilla.party.train.Evaluation;
import dev.flotilla.party.train.LocalModel;
import dev.flotilla.party.train.TrainResult;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.ModelAssembler;
import dev.flotilla.protocol.tensor.TensorStreamException;
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
 * The party's life: join, then for every TrainRequest fetch the global model, evaluate it on the
 * test set, train on the local data and submit the weights; on Finished evaluate the final model,
 * report it and stop. When the server goes away (a crash, a restart on the same state) the party
 * reconnects with backoff, joins again and carries on from the server's current round; an update
 * trained for a round the server asks for again is resubmitted without retraining.
 */
public final class PartyRunner {
  private static final Logger log = LoggerFactory.getLogger(PartyRunner.class);
  private static final int EVALUATION_BATCH = 1000;
  private static final int MAX_CONSECUTIVE_TLS_FAILURES = 3;
  private static final int MAX_REPORT_ATTEMPTS = 3;

  private final RunnerSettings settings;
  private final ChannelFactory channels;
  private final PartyDataset data;
  private final PartyIdentity identity;
  private final Clock clock;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicReference<FederationSession> current = new AtomicReference<>();

  private String jobId = "?";
  private String partyName;
  private LocalModel model;
  private List<TensorSpec> layout;
  private Trained lastTrained;
  private JoinResponse currentJoin;

  /** The weights trained for one round from one global model version, kept until they are accepted. */
  private record Trained(int round, long modelVersion, TrainResult result, Evaluation global) {}

  /** How serving a session ended. */
  private sealed interface Outcome {
    record Finished(double accuracy) implements Outcome {}

    record Disconnected(Status status) implements Outcome {}
  }

  @Inject
  public PartyRunner(RunnerSettings settings, ChannelFactory channels, PartyDataset data, PartyIdentity identity,
      Clock clock) {
    this.settings = settings;
    this.channels = channels;
    this.data = data;
    this.identity = identity;
    this.clock = clock;
    this.partyName = identity.name();
  }

  /**
   * Runs until the job finishes.
   *
   * @return the final global model's accuracy on the test set
   * @throws FatalPartyException when the party cannot go on (refused, TLS failure, server gone too long)
   * @throws InterruptedException when stopped from another thread
   */
  public double run() throws InterruptedException {
    Backoff backoff = new Backoff(settings.initialBackoff(), settings.maxBackoff(), settings.seed() ^ identity.name().hashCode());
    Instant outageSince = null;
    int tlsFailures = 0;
    log.info("{} using {}", prefix(), data.description());
    try {
      while (stopped.getCount() > 0) {
        Status lost;
        boolean joined = false;
        try (FederationSession session = new FederationSession(channels.open(), settings.deadlines())) {
          current.set(session);
          JoinResponse join = session.join(data.train().size());
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
              throw new FatalPartyException(FatalPartyException.TLS_FAILURE, "TLS handshake with "
                  + channels.describe() + " failed: " + Failures.rootMessage(tls.get())
                  + "; check that --ca is the CA that signed the server's certificate, that --cert/--key are a "
                  + "party certificate from the job's CA, and that --server-name matches a DNS name in the "
                  + "server's certificate", e);
            }
          } else {
            tlsFailures = 0;
            Optional<String> refusal = Failures.refusalAtJoin(status);
            if (refusal.isPresent()) {
              throw new FatalPartyException(FatalPartyException.REFUSED, refusal.get() + " [job " + jobId + ", party "
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
          throw new FatalPartyException(FatalPartyException.UNREACHABLE, "gave up: " + channels.describe()
              + " has been unreachable since " + outageSince + " (last error " + Failures.describe(lost)
              + "); check that the server runs and that --server points at it");
        }
        Duration delay = backoff.nextDelay();
        log.warn("{} {} {} ({}); reconnecting in {} ms", prefix(), joined ? "lost" : "cannot reach",
            channels.describe(), Failures.describe(lost), delay.toMillis());
        stopped.await(delay.toMillis(), TimeUnit.MILLISECONDS);
      }
      throw new InterruptedException("party stopped");
    } finally {
      if (model != null) {
        model.close();
        model = null;
      }
    }
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
    if (settings.model() != null && !settings.model().equals(join.getModel())) {
      throw new FatalPartyException(FatalPartyException.BAD_INPUT, "this party was started with --model "
          + settings.model() + " but job " + jobId + " trains '" + join.getModel() + "'; use --model "
          + join.getModel() + " or leave --model out");
    }
    if (model == null) {
      Architecture architecture;
      try {
        architecture = Architecture.forName(join.getModel());
        layout = join.getTensorsCount() > 0
            ? join.getTensorsList().stream().map(TensorSpec::fromInfo).toList()
            : ModelSpecs.forName(join.getModel());
        model = LocalModel.create(architecture, layout, settings.seed());
      } catch (IllegalArgumentException e) {
        throw new FatalPartyException(FatalPartyException.REFUSED, "job " + jobId + " trains model '"
            + join.getModel() + "', which this party does not know (" + e.getMessage() + ")", e);
      }
    }
    log.info("{} joined: strategy {}, model {}, {} rounds, {} completed, party index {}, {} local epoch(s), "
            + "batch {}, lr {}, momentum {}{}",
        prefix(), join.getStrategy(), join.getModel(), join.getRounds(), join.getCurrentRound(),
        join.getPartyIndex(), epochs(join), settings.batchSize(), settings.learningRate(), settings.momentum(),
        join.getFedproxMu() > 0 ? ", FedProx mu " + join.getFedproxMu() : "");
    currentJoin = join;
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
    long started = System.nanoTime();
    Trained trained = lastTrained;
    boolean reused = trained != null && trained.round() == round && trained.modelVersion() == request.getModelVersion();
    if (!reused) {
      ModelAssembler.Decoded global = session.fetchModel(request.getModelVersion(), layout);
      model.setWeights(global.tensors());
      Evaluation evaluation = model.evaluate(data.test(), EVALUATION_BATCH);
      TrainingOptions options = new TrainingOptions(epochs(currentJoin), settings.batchSize(),
          settings.learningRate(), settings.momentum(), (float) currentJoin.getFedproxMu(),
          shuffleSeed(round));
      TrainResult result = model.train(data.train(), options);
      trained = new Trained(round, request.getModelVersion(), result, evaluation);
      lastTrained = trained;
    }
    UpdateHeader header = UpdateHeader.newBuilder()
        .setRound(round)
        .setNumSamples(trained.result().samples())
        .putAllMetrics(trained.global().metrics())
        .putMetrics("train_loss", trained.result().trainLoss())
        .setEncoding(Encoding.FLOAT32)
        .build();
    SubmitUpdateResponse response = session.submitUpdate(header, layout, trained.result().weights());
    log.info("{} round {}/{}{}: global model v{} {} on {} test samples; {} on {} samples, "
            + "train loss {}; update of {} values accepted; {} s",
        prefix(), round, currentJoin.getRounds(), request.getAttempt() > 1 ? " (attempt " + request.getAttempt() + ")" : "",
        request.getModelVersion(), trained.global().describe(), trained.global().samples(),
        reused ? "resubmitted the update trained before the reconnect" : "trained " + epochs(currentJoin) + " epoch(s)",
        trained.result().samples(), format(trained.result().trainLoss()), response.getValuesReceived(),
        String.format("%.1f", (System.nanoTime() - started) / 1e9));
  }

  private long shuffleSeed(int round) {
    long mixed = settings.seed() * 0x9E3779B97F4A7C15L + settings.partitionIndex() * 0xBF58476D1CE4E5B9L + round;
    return mixed ^ (mixed >>> 31);
  }

  private double finish(FederationSession session, Finished finished) throws TensorStreamException, InterruptedException {
    ModelAssembler.Decoded global = session.fetchModel(finished.getModelVersion(), layout);
    model.setWeights(global.tensors());
    Evaluation evaluation = model.evaluate(data.test(), EVALUATION_BATCH);
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

  private static String format(double value) {
    return String.format("%.4f", value);
  }
}
