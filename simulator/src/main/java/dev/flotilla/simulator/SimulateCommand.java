package dev.flotilla.simulator;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.flotilla.cli.Cli;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.protocol.options.FederationFlags;
import dev.flotilla.protocol.options.FederationOptions;
import dev.flotilla.common.logging.LogContext;
import dev.flotilla.common.logging.LogOptions;
import dev.flotilla.common.logging.LogSettings;
import dev.flotilla.common.logging.Logging;
import dev.flotilla.demo.DemoCommand;
import dev.flotilla.demo.DemoReport;
import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.party.train.PyTorchEngine;
import dev.flotilla.party.train.TrainingOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slf4j.event.Level;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bin/flotilla simulate}: N virtual parties in this JVM driving the aggregator's own round
 * loop over in-process gRPC, on Fashion-MNIST split by {@code --partition}, with the global model of
 * every round evaluated centrally on the whole test set.
 */
@Command(
    name = "flotilla simulate",
    sortOptions = false,
    description = {
        "Simulates a federation in one process: N virtual parties (the party's own runner, over in-process gRPC) "
            + "and the aggregator's own round loop, strategies, admission and checkpoints, sharing one DJL engine, "
            + "one copy of Fashion-MNIST and a pool of trainers sized to the cores.",
        "Every round's global model is evaluated once, centrally, on the whole test set; the options shared "
            + "with 'flotilla demo' mean the same there."})
public final class SimulateCommand implements Callable<Integer> {

  @Mixin LogOptions logOptions;
  @Mixin FederationFlags federation;
  @Spec CommandSpec spec;

  @Option(names = "--data")
  Path data;

  @Option(names = "--trainers")
  Integer trainers;

  @Option(names = "--state-dir")
  Path stateDir;

  @Option(names = "--round-timeout")
  Duration roundTimeout;

  @Option(names = "--evaluate-fraction")
  double evaluateFraction;

  public static void main(String[] args) {
    Logging.start(LogContext.ROLE_SIMULATOR);
    // one line per round from the aggregator; the virtual parties and DJL only when something is wrong
    LogSettings.levelUnlessSet("dev.flotilla.party", Level.WARN);
    LogSettings.levelUnlessSet("dev.flotilla.server", Level.WARN);
    LogSettings.levelUnlessSet("ai.djl", Level.WARN);
    LogSettings.levelUnlessSet("ai.djl.util.cuda", Level.ERROR);
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    return Cli.commandLine(new SimulateCommand(), SimulateOptions.SET,
        t -> t instanceof Simulation.SimulationFailure ? ExitCode.INTERNAL : null);
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    federation.validate();
    int pool = trainers != null ? trainers : Runtime.getRuntime().availableProcessors();
    if (pool < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--trainers must be at least 1, not " + pool);
    }
    PrintWriter out = spec.commandLine().getOut();
    Path dataDirectory = data != null ? Cli.requireExisting("--data", data)
        : DemoCommand.requireDataset(DemoCommand.defaultDataDirectory());
    String scheme = federation.partitionOr(FederationOptions.DEFAULT_PARTITION);
    String model = federation.modelOrDefault();
    long started = System.nanoTime();
    PyTorchEngine.loadInBackground(); // while the data set is read
    ImageDataset train = FashionMnist.train(dataDirectory);
    ImageDataset test = FashionMnist.test(dataDirectory);
    VirtualData split;
    try {
      split = VirtualData.split(train, test, scheme, federation.parties, federation.seed, evaluateFraction > 0);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Path state = stateDir != null ? Files.createDirectories(stateDir) : Files.createTempDirectory("flotilla-simulate-");
    Simulation.Settings settings = new Simulation.Settings(federation.rounds, model, federation.strategy,
        federation.localEpochs, federation.fraction, training(), pool, state, roundTimeout, federation.secureAggregation,
        federation.privacy(), evaluateFraction);
    out.printf(Locale.ROOT, "Flotilla simulation: %d virtual parties, %d rounds, %s, %s, Fashion-MNIST split %s, "
            + "fraction %s, %d local epoch(s), batch %d, lr %s, momentum %s, weight decay %s, %d trainers%n",
        federation.parties, federation.rounds, model, federation.strategy, scheme, federation.fraction,
        federation.localEpochs, federation.batchSize, federation.learningRate, federation.momentum,
        federation.weightDecay, pool);
    if (evaluateFraction > 0) {
      out.printf(Locale.ROOT, "  federated evaluation: %d of %d parties a round, on their held-out split "
              + "(%d %% of each part, at most %d samples)%n",
          FederatedEvaluation.sample(federation.parties, evaluateFraction, federation.seed, 1).length,
          federation.parties, VirtualData.HELD_OUT_PERCENT, VirtualData.HELD_OUT_MAX);
    }
    if (federation.privacy() != null) {
      out.printf(Locale.ROOT, "  privacy: %s%n", DemoReport.describe(federation.privacy()));
    }
    out.flush();
    Simulation.Outcome outcome;
    try {
      outcome = Simulation.run(settings, split, round -> {
        out.println(roundLine(round, federation.rounds));
        out.flush();
      });
    } finally {
      if (stateDir == null) {
        deleteRecursively(state);
      }
    }
    double wall = (System.nanoTime() - started) / 1e9;
    out.printf(Locale.ROOT, "Simulation finished: %d rounds, %d virtual parties, %s, %s, %s%n",
        outcome.status().roundsCompleted(), federation.parties, model, outcome.status().strategy(), scheme);
    if (!outcome.rounds().isEmpty()) {
      Simulation.RoundEvaluation last = outcome.rounds().get(outcome.rounds().size() - 1);
      double best = outcome.rounds().stream().mapToDouble(r -> r.evaluation().score()).max().orElse(Double.NaN);
      out.printf(Locale.ROOT, "  final accuracy   %s (central, the final global model on %d test samples); best %s%n",
          DemoReport.percent(last.evaluation().score()), last.evaluation().samples(), DemoReport.percent(best));
    }
    out.print(DemoReport.privacyLines(outcome.status()));
    out.printf(Locale.ROOT, "  training         %d samples in %.1f s of simulation: %.0f samples/s%n",
        outcome.samplesTrained(), outcome.wallSeconds(), outcome.samplesTrained() / outcome.wallSeconds());
    out.printf(Locale.ROOT, "  peak memory      %s RSS%n", PeakMemory.describe());
    VirtualParties.Retained retained = outcome.retained();
    out.printf(Locale.ROOT, "  kept by parties  %d unaccepted updates; SCAFFOLD control variates: %d on the heap "
            + "(%.1f MiB), %d on disk%n", retained.updateValues().size(), retained.controlVariatesInMemory(),
        retained.controlVariateBytes() / 1048576.0, retained.controlVariatesOnDisk());
    out.printf(Locale.ROOT, "  wall time        %.1f s%n", wall);
    if (federation.report != null) {
      // what ran (dp-fedavg with a privacy budget), not the flag
      DemoReport report = new DemoReport(model, outcome.status().strategy(), scheme, federation.parties, outcome.status(),
          outcome.rounds().stream().map(Simulation.RoundEvaluation::roundSeconds).toList(), wall);
      report.writeTo(federation.report, reportJson(report, outcome, split));
      out.printf(Locale.ROOT, "  report           %s%n", federation.report.toAbsolutePath());
    }
    out.flush();
    return 0;
  }

  private TrainingOptions training() {
    return new TrainingOptions(federation.localEpochs, federation.batchSize, federation.learningRate,
        federation.momentum, 0f, federation.seed, federation.weightDecay);
  }

  /** The keys the simulator adds to the demo's report. */
  static final List<String> EXTRA_KEYS = List.of("evaluation", "samples_trained", "samples_per_second",
      "peak_rss_bytes", "training", "partition_split");

  /** The keys {@code --evaluate-fraction} adds to the report. */
  static final List<String> FEDERATED_KEYS = List.of("federated_accuracy_per_round", "federated_loss_per_round",
      "federated_evaluation");

  /**
   * The demo's report of the same run, its accuracies those of the central evaluation (the global model
   * of each round on the whole test set), and {@link #EXTRA_KEYS}.
   */
  JsonObject reportJson(DemoReport report, Simulation.Outcome outcome, VirtualData split) {
    JsonObject json = report.toJson();
    JsonArray accuracies = new JsonArray();
    outcome.rounds().forEach(r -> accuracies.add(r.evaluation().score()));
    json.add("accuracy_per_round", accuracies);
    json.addProperty("final_accuracy", outcome.rounds().isEmpty() ? null
        : outcome.rounds().get(outcome.rounds().size() - 1).evaluation().score());
    json.addProperty("evaluation", "central: each round's global model on the whole test set ("
        + split.test().size() + " samples)");
    json.addProperty("samples_trained", outcome.samplesTrained());
    json.addProperty("samples_per_second", Math.round(outcome.samplesTrained() / outcome.wallSeconds() * 10) / 10.0);
    json.addProperty("peak_rss_bytes", PeakMemory.bytes());
    JsonObject training = new JsonObject();
    training.addProperty("local_epochs", federation.localEpochs);
    training.addProperty("batch_size", federation.batchSize);
    training.addProperty("lr", federation.learningRate);
    training.addProperty("momentum", federation.momentum);
    training.addProperty("weight_decay", federation.weightDecay);
    training.addProperty("fraction", federation.fraction);
    training.addProperty("seed", federation.seed);
    json.add("training", training);
    json.add("partition_split", split.toJson());
    if (evaluateFraction > 0) {
      addFederated(json, outcome);
    }
    return json;
  }

  /**
   * {@link #FEDERATED_KEYS}: per round the sample-weighted mean accuracy and loss (null for a round whose
   * sample held out nothing), and the per-party figures they were computed from.
   */
  private static void addFederated(JsonObject json, Simulation.Outcome outcome) {
    JsonArray accuracies = new JsonArray();
    JsonArray losses = new JsonArray();
    JsonArray rounds = new JsonArray();
    for (Simulation.RoundEvaluation r : outcome.rounds()) {
      var mean = r.federated().mean();
      accuracies.add(mean == null ? null : mean.score());
      losses.add(mean == null ? null : mean.loss());
      JsonObject round = new JsonObject();
      round.addProperty("round", r.round());
      JsonArray parties = new JsonArray();
      for (FederatedEvaluation.PartyEvaluation p : r.federated().parties()) {
        JsonObject party = new JsonObject();
        party.addProperty("party", p.party());
        party.addProperty("samples", p.evaluation().samples());
        party.addProperty("accuracy", p.evaluation().score());
        party.addProperty("loss", p.evaluation().loss());
        parties.add(party);
      }
      round.add("parties", parties);
      rounds.add(round);
    }
    json.add("federated_accuracy_per_round", accuracies);
    json.add("federated_loss_per_round", losses);
    json.add("federated_evaluation", rounds);
  }

  static String roundLine(Simulation.RoundEvaluation round, int rounds) {
    return String.format(Locale.ROOT, "round %d/%d  accuracy %s  loss %.4f (model after round %d, central, %d test "
            + "samples)  trained %d samples  time %.1f s",
        round.round(), rounds, DemoReport.percent(round.evaluation().score()), round.evaluation().loss(), round.round(),
        round.evaluation().samples(), round.samplesTrained(), round.roundSeconds()) + federatedPart(round.federated());
  }

  /** The round line's federated figures: empty without --evaluate-fraction. */
  private static String federatedPart(FederatedEvaluation federated) {
    if (federated == null) {
      return "";
    }
    if (federated.mean() == null) {
      return "  federated: no held-out sample in this round's sample";
    }
    return String.format(Locale.ROOT, "  federated accuracy %s  loss %.4f (%d parties, %d held-out samples)",
        DemoReport.percent(federated.mean().score()), federated.mean().loss(), federated.parties().size(),
        federated.mean().samples());
  }

  private static void deleteRecursively(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind is harmless
    }
  }
}
