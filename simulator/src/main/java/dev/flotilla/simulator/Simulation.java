package dev.flotilla.simulator;

import dev.flotilla.party.virtual.TrainerPool;

import dev.flotilla.party.train.Architecture;
import dev.flotilla.party.train.Evaluation;
import dev.flotilla.party.train.LocalModel;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.options.PrivacySettings;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.options.ServerOptions;
import dev.flotilla.server.FederationServer;
import dev.flotilla.server.FederationService;
import dev.flotilla.server.SecureAggregationService;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.ServerModule;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.model.ModelExport;
import dev.flotilla.server.privacy.PrivacyBudget;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.state.CheckpointStore;
import dev.flotilla.server.transport.CallAdmission;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One simulated job: the aggregator's own {@link RoundCoordinator} (round loop, strategy, admission,
 * checkpoints, every round's model exported) behind its gRPC service on an in-process server, N
 * {@link VirtualParties} as its clients, and the central evaluation of every round's global model
 * on the whole test set, in the order the rounds complete.
 */
final class Simulation {

  static final String TRUST_DOMAIN = "simulation.local";
  static final String JOB = "sim";
  private static final int EVALUATION_BATCH = 1000;

  /**
   * What to simulate.
   *
   * @param stateDir the aggregator's --state-dir (checkpoints, every round's model)
   * @param trainers size of the trainer pool
   * @param roundTimeout how long a round waits for its parties
   * @param privacy the DP-FedAvg budget and settings the aggregator keeps, or null for none
   * @param evaluateFraction share of the virtual parties that evaluate each round's global model on their
   *     held-out split (federated evaluation), 0 for none
   */
  record Settings(int rounds, String model, String strategy, int localEpochs, double fraction,
      TrainingOptions training, int trainers, Path stateDir, Duration roundTimeout, boolean secureAggregation,
      PrivacySettings privacy, double evaluateFraction) {}

  /**
   * A round's central evaluation, and its federated evaluation on a sample.
   *
   * @param federated null without --evaluate-fraction
   */
  record RoundEvaluation(int round, Evaluation evaluation, long samplesTrained, double roundSeconds,
      FederatedEvaluation federated) {}

  /** What a run produced. */
  record Outcome(JobStatus status, List<RoundEvaluation> rounds, double wallSeconds,
      VirtualParties.Retained retained) {

    long samplesTrained() {
      return rounds.stream().mapToLong(RoundEvaluation::samplesTrained).sum();
    }
  }

  private Simulation() {}

  /** The aggregator's configuration for these settings: all parties expected, each round's model exported. */
  static ServerConfig serverConfig(Settings settings, int parties, long seed) {
    return ServerConfig.builder()
        .jobId(JOB)
        .rounds(settings.rounds())
        .minParties(Math.max(1, (int) Math.ceil(settings.fraction() * parties)))
        .expectedParties(parties)
        // admission closed to the virtual parties by name, as a deployed job names its parties
        .allowedParties(java.util.stream.IntStream.range(0, parties).mapToObj(VirtualParties::name).toList())
        .fraction(settings.fraction())
        .joinGrace(Duration.ofMinutes(5))
        .roundTimeout(settings.roundTimeout())
        .finalEvaluationWait(Duration.ofMinutes(5))
        .strategy(settings.strategy())
        .model(settings.model())
        .seed(seed)
        .localEpochs(settings.localEpochs())
        .stateDir(settings.stateDir())
        // 'bin/flotilla status <state-dir>/status.json' reads it as a deployed job's
        .statusFile(settings.stateDir().resolve("status.json"))
        .exportEveryRound(true)
        // in-process: the global model rides in each TrainRequest when it fits one chunk (no FetchModel per party)
        .inlineModelBytes(TensorChunks.MAX_CHUNK_BYTES)
        .secureAggregation(settings.secureAggregation() ? ServerOptions.SECAGG_CLIP_RANGE.defaultValue() : null)
        .privacy(settings.privacy() == null ? null : PrivacyBudget.of(settings.privacy()))
        .build();
  }

  /**
   * Runs the job to its end, calling {@code onRound} with each round's central evaluation as it is made.
   *
   * @throws SimulationFailure when the aggregator or a party fails, or a round does not complete in time
   */
  static Outcome run(Settings settings, VirtualData data, Consumer<RoundEvaluation> onRound)
      throws IOException, InterruptedException {
    long started = System.nanoTime();
    int parties = data.partyTrain().size();
    ServerConfig config = serverConfig(settings, parties, data.seed());
    Files.createDirectories(settings.stateDir());
    ServerMetrics metrics = new ServerMetrics();
    InProcessIdentity identity = new InProcessIdentity();
    String serverName = "flotilla-simulation-" + InProcessServerBuilder.generateName();
    ExecutorService calls = Executors.newFixedThreadPool(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
        daemon("grpc-call"));
    List<RoundEvaluation> evaluations = new ArrayList<>();
    try (RoundCoordinator coordinator = new RoundCoordinator(config, ServerModule.strategyOf(config),
            new CheckpointStore(config.stateDir()), metrics, "none (in-process simulation)", Clock.systemUTC());
        TrainerPool pool = new TrainerPool(settings.trainers());
        LocalModel central = LocalModel.create(Architecture.forName(settings.model()), data.seed())) {
      CallAdmission admission = new CallAdmission(JOB, identity, coordinator, config.maxCallsPerParty());
      FederationServer server = new FederationServer(InProcessServerBuilder.forName(serverName).executor(calls),
          new FederationService(coordinator, identity, metrics, ServerModule.uploadPermitsOf(config, coordinator)),
          List.of(admission, identity.interceptor()), List.of(),
          List.of(io.grpc.ServerInterceptors.intercept(new SecureAggregationService(coordinator, identity, metrics)
              .bindService(), admission, identity.interceptor())),
          metrics, config.maxMessageBytes(), () -> { }).start();
      CompletableFuture<Void> done = new CompletableFuture<>();
      Thread loop = new Thread(() -> {
        serverLogFields();
        try {
          coordinator.run();
          done.complete(null);
        } catch (Throwable t) {
          done.completeExceptionally(t);
        }
      }, "round-loop");
      loop.setDaemon(true);
      loop.start();
      ModelExport export = new ModelExport(config.exportTarget(), config.roundModelsDirectory(), JOB, settings.model());
      // SCAFFOLD's c_i is a model's worth per party: on the heap up to a quarter of it, the rest on disk
      SpillingControlVariates controlVariates = new SpillingControlVariates(Runtime.getRuntime().maxMemory() / 4,
          settings.stateDir().resolve("control-variates"));
      VirtualParties.Retained retained;
      try (VirtualParties virtual = new VirtualParties(serverName, TRUST_DOMAIN, JOB, data, pool, settings.model(),
          settings.training(), settings.localEpochs(), controlVariates)) {
        virtual.start();
        for (int round = 1; round <= settings.rounds(); round++) {
          Path file = export.roundFile(round);
          if (!awaitRoundModel(file, round, done, virtual, settings.roundTimeout())) {
            break; // the job ended before this round: its privacy budget (the status says why)
          }
          ModelFile model = Safetensors.read(file);
          // a SCAFFOLD job's model is followed by its control variates, which are not evaluated
          central.setWeights(java.util.Arrays.copyOf(model.values(),
              dev.flotilla.protocol.model.ControlVariates.modelTensors(model.layout())));
          Evaluation evaluation = central.evaluate(data.test(), EVALUATION_BATCH);
          int r = round;
          var record = coordinator.history().stream().filter(h -> h.round() == r).findFirst();
          FederatedEvaluation federated = settings.evaluateFraction() > 0
              ? evaluateOnSample(central, data, settings.evaluateFraction(), round) : null;
          RoundEvaluation result = new RoundEvaluation(round, evaluation,
              record.map(h -> h.samples()).orElse(0L), record.map(h -> h.durationSeconds()).orElse(0.0), federated);
          evaluations.add(result);
          onRound.accept(result);
        }
        awaitDone(done, virtual);
        virtual.awaitEnd(Duration.ofMinutes(1));
        requireNoFailures(virtual);
        retained = virtual.retained();
      } finally {
        loop.interrupt();
        server.stop(1000);
        loop.join(10_000);
      }
      return new Outcome(coordinator.status(), List.copyOf(evaluations), (System.nanoTime() - started) / 1e9,
          retained);
    } finally {
      calls.shutdownNow();
    }
  }

  /**
   * The global model already in {@code central}, evaluated on the held-out split of each party sampled for
   * this round (one model for all: the figures are those each party would compute). A sampled party
   * that holds out no sample (a part under 10 samples) has nothing to evaluate and is left out.
   */
  private static FederatedEvaluation evaluateOnSample(LocalModel central, VirtualData data, double fraction,
      int round) {
    List<FederatedEvaluation.PartyEvaluation> parties = new ArrayList<>();
    for (int p : FederatedEvaluation.sample(data.partyTrain().size(), fraction, data.seed(), round)) {
      if (data.partyHeldOut().get(p).size() > 0) {
        parties.add(new FederatedEvaluation.PartyEvaluation(VirtualParties.name(p),
            central.evaluate(data.partyHeldOut().get(p), EVALUATION_BATCH)));
      }
    }
    return FederatedEvaluation.of(round, parties);
  }

  /**
   * Waits for round {@code round}'s exported model: true once it is there, false when the job ended without it
   * (its exports are written before it ends); fails when the job or a party failed first.
   */
  private static boolean awaitRoundModel(Path file, int round, CompletableFuture<Void> done, VirtualParties parties,
      Duration roundTimeout) throws InterruptedException {
    long deadline = System.nanoTime() + roundTimeout.plusMinutes(1).toNanos();
    while (!Files.isRegularFile(file)) {
      requireNoFailures(parties);
      if (done.isCompletedExceptionally()) {
        awaitDone(done, parties);
      }
      if (done.isDone()) {
        return Files.isRegularFile(file);
      }
      if (System.nanoTime() > deadline) {
        throw new SimulationFailure("round " + round + " did not complete within " + roundTimeout.plusMinutes(1));
      }
      try {
        // the round loop's completion is the only event to wait for besides the file, which a writer thread makes
        done.get(100, TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        // looked at above, on the next pass
      }
    }
    return true;
  }

  private static void awaitDone(CompletableFuture<Void> done, VirtualParties parties) throws InterruptedException {
    try {
      done.get(10, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      throw new SimulationFailure("the round loop failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      requireNoFailures(parties);
      throw new SimulationFailure("the job did not finish within 10 minutes of its last round");
    }
  }

  private static void requireNoFailures(VirtualParties parties) {
    Map<String, Throwable> failures = parties.failures();
    if (!failures.isEmpty()) {
      var first = failures.entrySet().iterator().next();
      throw new SimulationFailure(failures.size() + " virtual part" + (failures.size() == 1 ? "y" : "ies")
          + " failed, " + first.getKey() + ": " + first.getValue().getMessage(), first.getValue());
    }
  }

  /** The aggregator's threads log as the server (the virtual parties' threads name their party). */
  private static void serverLogFields() {
    org.slf4j.MDC.put(dev.flotilla.common.logging.LogContext.ROLE, dev.flotilla.common.logging.LogContext.ROLE_SERVER);
    org.slf4j.MDC.put(dev.flotilla.common.logging.LogContext.JOB, JOB);
    org.slf4j.MDC.put(dev.flotilla.common.logging.LogContext.PARTY, "");
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(() -> {
        serverLogFields();
        r.run();
      }, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** A simulation that could not complete; the message says what failed. */
  static final class SimulationFailure extends RuntimeException {
    SimulationFailure(String message) {
      super(message);
    }

    SimulationFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
