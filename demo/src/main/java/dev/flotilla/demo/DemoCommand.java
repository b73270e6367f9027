package dev.flotilla.demo;

import dev.flotilla.cli.Cli;
import dev.flotilla.cli.CommandFailure;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.common.logging.LogContext;
import dev.flotilla.common.logging.LogOptions;
import dev.flotilla.common.logging.Logging;
import dev.flotilla.demo.LocalFederation.FederationFailure;
import dev.flotilla.demo.ingress.ViaIngress;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.RoundRecord;
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
  @Mixin LogOptions logOptions;

  static final String DATASET_VARIABLE = "FLOTILLA_FASHION_MNIST";
  static final String DEFAULT_DATA = "/usr/share/datasets/fashion-mnist";
  static final String DEFAULT_MODEL = "mlp";
  /** The one command that installs the default data set (bin/lib/demo-data.sh runs it, as root). */
  static final String INSTALL_DATASET = "sudo apt-get install -y dataset-fashion-mnist";
  private static final List<String> DATA_FILES = List.of(
      "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

  @Spec CommandSpec spec;

  @Option(names = "--parties", defaultValue = "3", description = "Number of parties (default: ${DEFAULT-VALUE}).")
  int parties;

  @Option(names = "--rounds", defaultValue = "5", description = "Federated rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--model", paramLabel = "SPEC",
      description = "A built-in architecture: mlp, mlp:IN-H1-...-OUT, cnn, resnet20 (default: mlp, "
          + "or none with --initial-model).")
  String model;

  @Option(names = "--initial-model", paramLabel = "FILE",
      description = "The job's model as a safetensors file (the server's --initial-model): its tensor names, "
          + "shapes and dtypes are the job's layout, its values version 0. Exclusive with --model.")
  Path initialModel;

  @Option(names = "--trainer-command", paramLabel = "CMD",
      description = "Every party trains by running CMD (through /bin/sh -c, with the path of round.json appended, "
          + "in a fresh round directory: give absolute paths), e.g. '/usr/bin/python3 $PWD/examples/pytorch/fashion_mnist.py'.")
  String trainerCommand;

  @Option(names = "--strategy", defaultValue = "fedavg",
      description = "fedavg, fedprox, fedadam or fedyogi (default: ${DEFAULT-VALUE}).")
  String strategy;

  @Option(names = "--update-encoding", defaultValue = "float32", paramLabel = "float32|bf16|fp16",
      description = "How the parties encode their updates (the server's --update-encoding): bf16 and fp16 send 2 "
          + "bytes a value instead of 4, halving the bytes uploaded, at the cost of precision in every update "
          + "(default: ${DEFAULT-VALUE}).")
  String updateEncoding;

  @Option(names = "--report", paramLabel = "FILE",
      description = "Write the run's figures as JSON to FILE, and the live view's charts of the final status as a "
          + "self-contained HTML file beside it (FILE with .html for .json).")
  Path report;

  @Option(names = "--export", paramLabel = "FILE",
      description = "Write the final global model to FILE as safetensors (the server's --export), ready for "
          + "safetensors.torch.load_file and load_state_dict in PyTorch.")
  Path export;

  @Option(names = "--data", paramLabel = "PATH",
      description = "The parties' data, passed to each party's --data: Fashion-MNIST idx files (gzipped or not) "
          + "or any format the party (or --trainer-command) reads (default: $" + DATASET_VARIABLE + " or "
          + DEFAULT_DATA + ").")
  Path data;

  @Option(names = "--test-data", paramLabel = "PATH", description = "Each party's --test-data (held-out set).")
  Path testData;

  @Option(names = "--max-samples", paramLabel = "N", description = "Each party's --max-samples (cap on its training samples).")
  Integer maxSamples;

  @Option(names = "--eval-samples", paramLabel = "N", description = "Each party's --eval-samples (cap on its evaluation samples).")
  Integer evalSamples;

  @Option(names = "--party-option", paramLabel = "NAME=VALUE",
      description = "Passes --NAME VALUE to every party, e.g. a data-format option (--party-option label-column=target) "
          + "or --party-option trainer-timeout=10m; repeatable.")
  Map<String, String> partyOptions = new LinkedHashMap<>();

  @Option(names = "--partition", paramLabel = "SCHEME",
      description = "How the data is split: iid, dirichlet:ALPHA or labels:K (default: dirichlet:<--alpha>).")
  String partition;

  @Option(names = "--alpha", defaultValue = "0.5",
      description = "Dirichlet concentration of the label split; smaller is less IID (default: ${DEFAULT-VALUE}).")
  double alpha;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the split and of the initial model (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--local-epochs", defaultValue = "1", description = "Local epochs per round (default: ${DEFAULT-VALUE}).")
  int localEpochs;

  @Option(names = "--batch-size", defaultValue = "32", description = "Local batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--lr", description = "Local learning rate (default: the party's own).")
  Double learningRate;

  @Option(names = "--round-timeout", defaultValue = "5m", paramLabel = "DURATION",
      converter = dev.flotilla.cli.DurationConverter.Positive.class,
      description = "How long a round waits for late updates: 90s, 5m, PT5M, or seconds (default: ${DEFAULT-VALUE}).")
  Duration roundTimeout;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = dev.flotilla.cli.DurationConverter.Positive.class,
      description = "Give up after this long in total: 20m, PT20M, or seconds (default: 2m + rounds x round timeout).")
  Duration timeout;

  @Option(names = "--dir", paramLabel = "DIR",
      description = "Working directory for certificates, checkpoints and logs (default: a new temporary directory).")
  Path directory;

  @Option(names = "--via-ingress",
      description = "Parties dial <job>.server.<domain> through a local nginx configured from the controller's "
          + "passthrough Ingress (SNI routing, TLS ends in the aggregator), as through ingress-nginx in a cluster.")
  boolean viaIngress;

  @Option(names = "--keep-dir", description = "Keep the working directory after a successful run (it is always kept after a failure).")
  boolean keepDirectory;

  public static void main(String[] args) {
    Logging.start(LogContext.ROLE_DEMO);
    System.exit(commandLine().execute(args));
  }

  /** The command line with the project's look and exit codes; a federation that failed exits 1 with its logs' tails. */
  public static CommandLine commandLine() {
    return Cli.commandLine(new DemoCommand(), t -> t instanceof FederationFailure ? ExitCode.INTERNAL : null);
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    validate();
    // the idx check is for the default data set; other data is the party's (or the trainer command's) to read
    Path dataPath = data != null ? Cli.requireExisting("--data", data) : requireDataset(defaultDataDirectory());
    String split = partition != null ? partition : "dirichlet:" + alpha;
    String modelLabel = modelLabel();
    FlotillaJars jars = FlotillaJars.locate();
    jars.requirePresent("aggregator-server", "party");

    long started = System.nanoTime();
    Path workDirectory = directory != null
        ? Files.createDirectories(directory)
        : Files.createTempDirectory("flotilla-demo-");
    LocalFederation.Settings settings = settings(dataPath, split);
    Duration budget = timeout != null ? timeout : Duration.ofMinutes(2).plus(roundTimeout.multipliedBy(rounds));

    boolean success = false;
    try (LocalFederation federation = LocalFederation.prepare(settings, jars, workDirectory);
        ViaIngress ingress = viaIngress ? ViaIngress.start(federation, out) : null) {
      out.printf(Locale.ROOT, "Flotilla demo: %d parties, %d rounds, %s, %s, %s split %s, updates in %s%n",
          parties, rounds, modelLabel, strategy, data != null ? data : "Fashion-MNIST", split, updateEncoding);
      if (trainerCommand != null) {
        out.printf(Locale.ROOT, "  trainer       %s%n", trainerCommand);
      }
      out.printf(Locale.ROOT, "  certificates  %s (CA, server %s, party-1..party-%d)%n",
          workDirectory.resolve("pki"), federation.pki().serverName(), parties);
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
      DemoReport result = new DemoReport(modelLabel, strategy, split, parties, finalStatus, roundSeconds,
          (System.nanoTime() - started) / 1e9);
      out.println(result.summary());
      if (export != null) {
        out.printf(Locale.ROOT, "  final model      %s%n", export.toAbsolutePath());
      }
      if (report != null) {
        result.writeTo(report);
        out.printf(Locale.ROOT, "  report           %s%n", report.toAbsolutePath());
        out.printf(Locale.ROOT, "  HTML report      %s (the live view's charts, self-contained)%n",
            DemoReport.htmlBeside(report).toAbsolutePath());
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
    if (model != null) {
      return model;
    }
    return initialModel != null ? initialModel.getFileName().toString() : DEFAULT_MODEL;
  }

  /** The federation these options ask for. */
  LocalFederation.Settings settings(Path dataPath, String split) {
    LocalFederation.Settings settings = new LocalFederation.Settings()
        .parties(parties)
        .rounds(rounds)
        .model(model != null || initialModel != null ? model : DEFAULT_MODEL)
        .initialModel(initialModel != null ? initialModel.toAbsolutePath() : null)
        .trainerCommand(trainerCommand)
        .strategy(strategy)
        .updateEncoding(updateEncoding)
        .partition(split)
        .seed(seed)
        .dataDirectory(dataPath.toAbsolutePath())
        .localEpochs(localEpochs)
        .batchSize(batchSize)
        .learningRate(learningRate)
        .roundTimeout(roundTimeout);
    if (testData != null) {
      settings.partyArg("--test-data", testData.toAbsolutePath().toString());
    }
    if (maxSamples != null) {
      settings.partyArg("--max-samples", maxSamples.toString());
    }
    if (evalSamples != null) {
      settings.partyArg("--eval-samples", evalSamples.toString());
    }
    partyOptions.forEach((name, value) -> settings.partyArg("--" + name, value));
    if (export != null) {
      settings.serverArg("--export", export.toAbsolutePath().toString());
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
        while (shownRounds < last.roundsCompleted()) {
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
   * A progress line for a completed round. The accuracy is the one the parties measured for the
   * model they trained from (the previous round's global model): the newest round's model is only
   * evaluated when the next round, or the final evaluation, reports it.
   */
  static String roundLine(JobStatus status, int round, double measuredSeconds) {
    Optional<RoundRecord> info = status.round(round);
    int parties = info.map(r -> r.parties().size()).orElse(status.parties().size());
    double seconds = info.map(RoundRecord::durationSeconds).orElse(measuredSeconds);
    String accuracy = info.filter(r -> r.accuracy() != null)
        .map(r -> DemoReport.percent(r.accuracy())
            + (r.evaluatedModelVersion() == 0 ? " (initial model)" : " (model after round " + r.evaluatedModelVersion() + ")"))
        .orElse("-");
    String times = info.filter(r -> r.trainingSeconds() != null)
        .map(r -> String.format(Locale.ROOT, " (training %.1f s, evaluation %.1f s, protocol %.1f s)",
            r.trainingSeconds(), r.evaluationSeconds(), r.protocolSeconds()))
        .orElse("");
    List<String> late = status.lateOrDroppedByRound().getOrDefault(round, List.of());
    return String.format(Locale.ROOT, "round %d/%d  parties %d  accuracy %s  time %.1f s%s%s",
        round, status.roundsTotal(), parties, accuracy, seconds, times,
        late.isEmpty() ? "" : "  late or dropped: " + String.join(", ", late));
  }

  private void validate() {
    if (parties < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--parties must be at least 1, not " + parties);
    }
    if (rounds < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--rounds must be at least 1, not " + rounds);
    }
    // the model spec is the server's to check: it names what it knows when it refuses one
    if (model != null && model.isBlank()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--model must not be empty");
    }
    if (initialModel != null) {
      Cli.requireExisting("--initial-model", initialModel);
      if (model != null) {
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
    if (!List.of("fedavg", "fedprox", "fedadam", "fedyogi").contains(strategy)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--strategy must be fedavg, fedprox, fedadam or fedyogi, not " + strategy);
    }
    if (!dev.flotilla.protocol.tensor.WireEncoding.NAMES.contains(updateEncoding)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--update-encoding must be one of "
          + dev.flotilla.protocol.tensor.WireEncoding.NAMES + ", not " + updateEncoding);
    }
    if (!(alpha > 0)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--alpha must be positive, not " + alpha);
    }
  }

  static Path defaultDataDirectory() {
    String override = System.getenv(DATASET_VARIABLE);
    return Path.of(override != null && !override.isBlank() ? override : DEFAULT_DATA);
  }

  /** The dataset directory if it holds the four idx files (gzipped or not); else an error that says how to get them. */
  static Path requireDataset(Path dir) {
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
