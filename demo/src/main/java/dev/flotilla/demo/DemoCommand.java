package dev.flotilla.demo;

import dev.flotilla.cli.Cli;
import dev.flotilla.cli.CommandFailure;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.protocol.options.FederationFlags;
import dev.flotilla.common.logging.LogContext;
import dev.flotilla.common.logging.LogOptions;
import dev.flotilla.common.logging.Logging;
import dev.flotilla.demo.LocalFederation.FederationFailure;
import dev.flotilla.demo.ingress.ViaIngress;
import dev.flotilla.protocol.options.PartyOptions;
import dev.flotilla.protocol.options.ServerOptions;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.tensor.WireEncoding;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code bin/flotilla demo}: a whole federation on this machine. Makes a CA and certificates in a
 * temporary directory, starts an aggregator and N parties as separate JVMs over mutual TLS on
 * loopback, trains on a split of the data (Fashion-MNIST, Dirichlet(0.5) by default), shows each
 * round, and ends with a summary. {@code --model}, {@code --initial-model}, {@code --data} and
 * {@code --trainer-command} try one's own model and data the same way.
 */
@Command(
    name = "flotilla demo",
    sortOptions = false,
    description = {
        "Runs a federation on this machine: a throw-away CA, an aggregator and N parties as separate "
            + "processes over mutual TLS (BoringSSL) on loopback, training on Fashion-MNIST split Dirichlet(alpha).",
        "Try your own model and data: --model (any built-in), --initial-model FILE.safetensors, --data, "
            + "--trainer-command 'CMD' (e.g. examples/pytorch/fashion_mnist.py, see examples/README.md).",
        "Child logs go to <dir>/logs; every child process is ended when the demo exits."})
public final class DemoCommand implements Callable<Integer> {
  // each option's description, default and parser: DemoOptions
  @Mixin LogOptions logOptions;
  /** --parties, --rounds, --model, --strategy, --partition, the training options and --report: the simulator's too. */
  @Mixin FederationFlags shared;

  static final String DATASET_VARIABLE = DemoOptions.DATASET_VARIABLE;
  static final String DEFAULT_MODEL = DemoOptions.DEFAULT_MODEL;
  /** The one command that installs the default data set (bin/lib/demo-data.sh runs it, as root). */
  static final String INSTALL_DATASET = "sudo apt-get install -y dataset-fashion-mnist";
  private static final List<String> DATA_FILES = List.of(
      "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

  @Spec CommandSpec spec;

  @Option(names = "--initial-model")
  Path initialModel;

  @Option(names = "--trainer-command")
  String trainerCommand;

  @Option(names = "--update-encoding")
  WireEncoding updateEncoding;

  @Option(names = "--export")
  Path export;

  @Option(names = "--data")
  Path data;

  @Option(names = "--test-data")
  Path testData;

  @Option(names = "--max-samples")
  Integer maxSamples;

  @Option(names = "--eval-samples")
  Integer evalSamples;

  @Option(names = "--party-option")
  Map<String, String> partyOptions = new LinkedHashMap<>();

  @Option(names = "--alpha")
  double alpha;

  @Option(names = "--round-timeout")
  Duration roundTimeout;

  @Option(names = "--timeout")
  Duration timeout;

  @Option(names = "--dir")
  Path directory;

  @Option(names = "--via-ingress")
  boolean viaIngress;

  @Option(names = "--keep-dir")
  boolean keepDirectory;

  public static void main(String[] args) {
    Logging.start(LogContext.ROLE_DEMO);
    System.exit(commandLine().execute(args));
  }

  /** The command line with the project's look and exit codes; a federation that failed exits 1 with its logs' tails. */
  public static CommandLine commandLine() {
    return commandLine(new DemoCommand());
  }

  /** {@code demo} as a command line whose options are {@link DemoOptions#SET} (tests read its fields). */
  static CommandLine commandLine(DemoCommand demo) {
    return Cli.commandLine(demo, DemoOptions.SET, t -> t instanceof FederationFailure ? ExitCode.INTERNAL : null);
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    validate();
    // the idx check is for the default data set; other data is the party's (or the trainer command's) to read
    Path dataPath = data != null ? Cli.requireExisting("--data", data) : requireDataset(defaultDataDirectory());
    String split = shared.partitionOr(DemoOptions.defaultPartition(alpha));
    String modelLabel = modelLabel();
    FlotillaJars jars = FlotillaJars.locate();
    jars.requirePresent("aggregator-server", "party");

    long started = System.nanoTime();
    Path workDirectory = directory != null
        ? Files.createDirectories(directory)
        : Files.createTempDirectory("flotilla-demo-");
    LocalFederation.Settings settings = settings(dataPath, split);
    Duration budget = timeout != null ? timeout : Duration.ofMinutes(2).plus(roundTimeout.multipliedBy(shared.rounds));

    boolean success = false;
    try (LocalFederation federation = LocalFederation.prepare(settings, jars, workDirectory);
        ViaIngress ingress = viaIngress ? ViaIngress.start(federation, out) : null) {
      out.printf(Locale.ROOT, "Flotilla demo: %d parties, %d rounds, %s, %s, %s split %s, updates in %s%n",
          shared.parties, shared.rounds, modelLabel, shared.strategy, data != null ? data : "Fashion-MNIST", split, updateEncoding.flagName());
      if (trainerCommand != null) {
        out.printf(Locale.ROOT, "  trainer       %s%n", trainerCommand);
      }
      if (shared.privacy() != null) {
        out.printf(Locale.ROOT, "  privacy       %s%n", DemoReport.describe(shared.privacy()));
      }
      if (shared.secureAggregation) {
        out.printf(Locale.ROOT, "  aggregation   SecAgg+: the aggregator sees only the masked sum of the updates%n");
      }
      out.printf(Locale.ROOT, "  certificates  %s (CA, server %s, party-1..party-%d)%n",
          workDirectory.resolve("pki"), federation.pki().serverName(), shared.parties);
      out.printf(Locale.ROOT, "  logs          %s%n", federation.logDirectory());
      out.flush();
      federation.start();
      out.printf(Locale.ROOT, "  aggregator on 127.0.0.1:%d (pid %d); parties started%n",
          federation.port(), federation.server().pid());
      out.printf(Locale.ROOT, "  live view     %s (the job, its parties, charts per round; open it in a browser)%n",
          federation.webView());
      out.flush();

      List<Double> roundSeconds = new ArrayList<>();
      JobStatus finalStatus = followUntilFinished(federation, out, roundSeconds, started, budget);
      // what ran (dp-fedavg with a privacy budget), not the flag
      DemoReport result = new DemoReport(modelLabel, finalStatus.strategy(), split, shared.parties, finalStatus,
          roundSeconds, (System.nanoTime() - started) / 1e9);
      out.println(result.summary());
      if (export != null) {
        out.printf(Locale.ROOT, "  final model      %s%n", export.toAbsolutePath());
      }
      if (shared.report != null) {
        result.writeTo(shared.report);
        out.printf(Locale.ROOT, "  report           %s%n", shared.report.toAbsolutePath());
        out.printf(Locale.ROOT, "  HTML report      %s (the live view's charts, self-contained)%n",
            DemoReport.htmlBeside(shared.report).toAbsolutePath());
      }
      out.flush();
      success = true;
      return 0;
    } catch (FederationFailure failure) {
      err.println("flotilla demo: " + failure.getMessage());
      if (!failure.logs().isBlank()) {
        err.println(failure.logs());
      }
      err.println("flotilla demo: logs and certificates kept in " + workDirectory);
      return 1;
    } finally {
      err.flush();
      if (success && !keepDirectory && directory == null) {
        deleteRecursively(workDirectory);
      } else if (success) {
        out.printf(Locale.ROOT, "  kept             %s%n", workDirectory);
        out.flush();
      }
    }
  }

  /** How the banner and the report name the model: the built-in, or the initial model's file name. */
  String modelLabel() {
    if (shared.model != null) {
      return shared.model;
    }
    return initialModel != null ? initialModel.getFileName().toString() : DEFAULT_MODEL;
  }

  /** The federation these options ask for. */
  LocalFederation.Settings settings(Path dataPath, String split) {
    LocalFederation.Settings settings = new LocalFederation.Settings()
        .parties(shared.parties)
        .rounds(shared.rounds)
        .model(shared.model != null || initialModel != null ? shared.model : DEFAULT_MODEL)
        .initialModel(initialModel != null ? initialModel.toAbsolutePath() : null)
        .trainerCommand(trainerCommand)
        .strategy(shared.strategy)
        .updateEncoding(updateEncoding.flagName())
        .partition(split)
        .seed(shared.seed)
        .dataDirectory(dataPath.toAbsolutePath())
        .localEpochs(shared.localEpochs)
        .batchSize(shared.batchSize)
        .learningRate((double) shared.learningRate)
        .roundTimeout(roundTimeout)
        .secureAggregation(shared.secureAggregation);
    settings.partyArg("--momentum", Float.toString(shared.momentum))
        .partyArg("--weight-decay", Float.toString(shared.weightDecay));
    if (shared.fraction < 1) {
      // a round needs only the parties it samples
      settings.minParties(Math.max(1, (int) Math.ceil(shared.fraction * shared.parties)))
          .serverArg("--fraction", Double.toString(shared.fraction));
    }
    dev.flotilla.protocol.options.PrivacySettings privacy = shared.privacy();
    if (privacy != null) {
      // the server keeps the budget: its flags as the server reads them
      List<String> flags = privacy.serverArgs();
      for (int i = 0; i < flags.size(); i += 2) {
        settings.serverArg(flags.get(i), flags.get(i + 1));
      }
    }
    if (testData != null) {
      settings.partyArg(PartyOptions.TEST_DATA.flag(), testData.toAbsolutePath().toString());
    }
    if (maxSamples != null) {
      settings.partyArg(PartyOptions.MAX_SAMPLES.flag(), maxSamples.toString());
    }
    if (evalSamples != null) {
      settings.partyArg(PartyOptions.EVAL_SAMPLES.flag(), evalSamples.toString());
    }
    partyOptions.forEach((name, value) -> settings.partyArg("--" + name, value));
    if (export != null) {
      settings.serverArg(ServerOptions.EXPORT.flag(), export.toAbsolutePath().toString());
    }
    return settings;
  }

  /**
   * Prints a line per completed round (from the server's status file) until the server exits, then
   * checks that it and every party exited 0 and returns the final status.
   */
  public static JobStatus followUntilFinished(LocalFederation federation, PrintWriter out, List<Double> roundSeconds,
      long startedNanos, Duration budget) {
    long deadline = startedNanos + budget.toNanos();
    long lastRoundNanos = System.nanoTime();
    int shownRounds = 0;
    JobStatus last = null;
    while (true) {
      Optional<JobStatus> status = federation.status();
      if (status.isPresent()) {
        last = status.get();
        // a round's line waits until its own model's accuracy is known (the next round's or the final evaluations)
        while (shownRounds < last.roundsCompleted()
            && (last.accuracyAfterRound(shownRounds + 1).isPresent() || last.finished())) {
          shownRounds++;
          long now = System.nanoTime();
          // several rounds in one poll share the elapsed time: only the last one gets it
          double measured = shownRounds == last.roundsCompleted() ? (now - lastRoundNanos) / 1e9 : 0.0;
          double seconds = last.round(shownRounds).map(RoundRecord::durationSeconds).orElse(measured);
          roundSeconds.add(seconds);
          out.println(roundLine(last, shownRounds, measured));
          out.flush();
          if (shownRounds == last.roundsCompleted()) {
            lastRoundNanos = now;
          }
        }
      }
      ChildProcess server = federation.server();
      if (!server.isAlive()) {
        break;
      }
      for (ChildProcess party : federation.parties()) {
        OptionalInt code = party.exitCode();
        if (code.isPresent() && code.getAsInt() != 0) {
          throw new FederationFailure(party.name() + " exited with code " + code.getAsInt(), federation.logTails(30));
        }
      }
      if (System.nanoTime() > deadline) {
        throw new FederationFailure("the federation did not finish within " + budget.toSeconds() + " s",
            federation.logTails(30));
      }
      LocalFederation.pause(250);
    }
    int serverExit = federation.server().exitCode().orElse(-1);
    if (serverExit != 0) {
      throw new FederationFailure("the server exited with code " + serverExit, federation.logTails(40));
    }
    for (ChildProcess party : federation.parties()) {
      OptionalInt code = party.waitFor(60, TimeUnit.SECONDS);
      if (code.isEmpty()) {
        throw new FederationFailure(party.name() + " was still running 60 s after the server finished",
            federation.logTails(30));
      }
      if (code.getAsInt() != 0) {
        throw new FederationFailure(party.name() + " exited with code " + code.getAsInt(), federation.logTails(30));
      }
    }
    JobStatus done = federation.status().orElse(last);
    if (done == null || !done.finished()) {
      throw new FederationFailure("the server exited without reporting a finished job in " + federation.statusFile(),
          federation.logTails(30));
    }
    return done;
  }

  /**
   * A progress line for a completed round: the accuracy of the global model that round produced (as the
   * parties measured it when they next evaluated it: in the next round, or in the final evaluations),
   * "-" while nobody has reported it.
   */
  static String roundLine(JobStatus status, int round, double measuredSeconds) {
    Optional<RoundRecord> info = status.round(round);
    int parties = info.map(r -> r.parties().size()).orElse(status.parties().size());
    double seconds = info.map(RoundRecord::durationSeconds).orElse(measuredSeconds);
    java.util.OptionalDouble after = status.accuracyAfterRound(round);
    String accuracy = after.isPresent() ? DemoReport.percent(after.getAsDouble()) + " (model after round " + round + ")"
        : "-";
    String times = info.filter(r -> r.trainingSeconds() != null)
        .map(r -> String.format(Locale.ROOT, " (training %.1f s, evaluation %.1f s, protocol %.1f s)",
            r.trainingSeconds(), r.evaluationSeconds(), r.protocolSeconds()))
        .orElse("");
    List<String> late = status.lateOrDroppedByRound().getOrDefault(round, List.of());
    String shares = info.map(RoundRecord::shareRoutes).map(routes -> "  shares " + routes.describe()).orElse("");
    return String.format(Locale.ROOT, "round %d/%d  parties %d  accuracy %s  time %.1f s%s%s%s",
        round, status.roundsTotal(), parties, accuracy, seconds, times, shares,
        late.isEmpty() ? "" : "  late or dropped: " + String.join(", ", late));
  }

  private void validate() {
    shared.validate();
    // the model spec is the server's to check: it names what it knows when it refuses one
    if (initialModel != null) {
      Cli.requireExisting("--initial-model", initialModel);
      if (shared.model != null) {
        // as the server's: the file's flotilla.model metadata names its architecture, if it has one
        throw new CommandLine.ParameterException(spec.commandLine(), "--model and --initial-model are exclusive: the "
            + "initial model's 'flotilla.model' metadata names its built-in architecture, if it has one");
      }
    }
    if (testData != null) {
      Cli.requireExisting("--test-data", testData);
    }
    if (trainerCommand != null && trainerCommand.isBlank()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--trainer-command must not be empty");
    }
    for (String name : partyOptions.keySet()) {
      if (!name.matches("[a-z][a-z0-9-]*")) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--party-option takes NAME=VALUE with a party flag's name without its dashes (like label-column), not " + name);
      }
    }
    if (maxSamples != null && maxSamples < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--max-samples must be at least 1, not " + maxSamples);
    }
    if (evalSamples != null && evalSamples < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--eval-samples must be at least 1, not " + evalSamples);
    }
    if (!(alpha > 0)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--alpha must be positive, not " + alpha);
    }
  }

  public static Path defaultDataDirectory() {
    String override = System.getenv(DATASET_VARIABLE);
    return override != null && !override.isBlank() ? Path.of(override) : PartyOptions.DATA.defaultValue();
  }

  /** The dataset directory if it holds the four idx files (gzipped or not); else an error that says how to get them. */
  public static Path requireDataset(Path dir) {
    List<String> missing = new ArrayList<>();
    for (String name : DATA_FILES) {
      if (!Files.isRegularFile(dir.resolve(name)) && !Files.isRegularFile(dir.resolve(name + ".gz"))) {
        missing.add(name + "[.gz]");
      }
    }
    if (!missing.isEmpty()) {
      throw new CommandFailure(ExitCode.MISSING, "Fashion-MNIST not found in " + dir + " (missing "
          + String.join(", ", missing) + "); install it with: " + INSTALL_DATASET + " (bin/flotilla demo does it "
          + "itself when run as root), or pass --data DIR");
    }
    return dir;
  }

  private static void deleteRecursively(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind is harmless
    }
  }
}
