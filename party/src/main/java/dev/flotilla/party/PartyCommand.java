package dev.flotilla.party;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.flotilla.certs.CaLocation;
import dev.flotilla.cli.Cli;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.common.logging.LogOptions;
import dev.flotilla.party.client.FatalPartyException;
import dev.flotilla.party.client.PartyRunner;
import dev.flotilla.party.data.BadDataException;
import dev.flotilla.party.data.DataMissingException;
import dev.flotilla.party.data.DataOptions;
import dev.flotilla.party.data.Partitioner;
import dev.flotilla.protocol.cli.DurationConverter;
import dev.flotilla.protocol.model.ModelSpecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code bin/flotilla party}: one party of a federation, over mutual TLS to the aggregator. */
@Command(
    name = "flotilla party",
    sortOptions = false,
    description = {
      "Runs one party of a federated-learning job: joins the aggregator over mutual TLS, and every round "
          + "fetches the global model, evaluates it on this party's test data, trains it on this party's "
          + "part of the training data with DJL (PyTorch, CPU) and uploads the trained weights.",
      "The party's identity is the one in its certificate (URI SAN spiffe://<domain>/job/<job>/party/<name>); "
          + "there is no --name. It talks only to the aggregator of that job: a server presenting any other "
          + "identity is refused in the TLS handshake. If the server goes away the party reconnects with backoff "
          + "and carries on from the server's current round.",
      ""
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  bin/flotilla party --server 10.0.0.5:8443 \\",
      "      --ca pki/alice/ca.crt --cert pki/alice/tls.crt --key pki/alice/tls.key \\",
      "      --partition dirichlet:0.5 --partition-index 0 --partition-count 3 --seed 42"
    })
public final class PartyCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(PartyCommand.class);

  @Spec CommandSpec spec;

  @Option(names = "--server", required = true, paramLabel = "HOST:PORT",
      description = "Address of the aggregator, e.g. 10.0.0.5:8443 or aggregator.example.org:443.")
  String server;

  @Option(names = "--server-name", paramLabel = "NAME",
      description = "Name to expect in the server's certificate, also sent as SNI and :authority (default: "
          + "<job>.server.<domain> from this party's certificate, so --server may be an IP address or a proxy).")
  String serverName;

  @Option(names = "--server-identity", paramLabel = "NAME",
      description = "Accept only the aggregator whose identity is spiffe://<domain>/job/<job>/server/NAME "
          + "(default: any aggregator identity of this party's job).")
  String serverIdentity;

  @Option(names = "--ca", required = true, paramLabel = "CA",
      description = "The CA that signed the server's certificate: its ca.crt (PEM), or the directory holding it.")
  Path ca;

  @Option(names = "--cert", required = true, paramLabel = "FILE",
      description = "PEM file of this party's certificate, leaf first (tls.crt).")
  Path cert;

  @Option(names = "--key", required = true, paramLabel = "FILE",
      description = "PEM file of this party's private key (tls.key).")
  Path key;

  @Mixin DataFlags dataFlags;
  @Mixin LogOptions logOptions;

  @Option(names = "--test-fraction", paramLabel = "F", defaultValue = "0.2",
      description = "Share of --data held out for testing when there is no test data, cut with --seed before the "
          + "partition, so parties sharing one file share one test set (default: ${DEFAULT-VALUE}).")
  double testFraction;

  @Option(names = "--max-samples", paramLabel = "N",
      description = "Train on at most N samples of this party's part (a seeded sample) (default: all).")
  Integer maxSamples;

  @Option(names = "--eval-samples", paramLabel = "N",
      description = "Evaluate each global model on at most N test samples (a seeded sample, the same every "
          + "round) (default: all; evaluating the whole test set every round can dominate small rounds).")
  Integer evalSamples;

  @Option(names = "--partition", paramLabel = "SCHEME", defaultValue = "iid",
      description = "How the training set is split among the parties: iid, dirichlet:ALPHA (label skew, smaller "
          + "ALPHA = more skew, e.g. dirichlet:0.5) or labels:K (each party holds K classes) (default: ${DEFAULT-VALUE}).")
  String partition;

  @Option(names = "--partition-index", paramLabel = "I", defaultValue = "0",
      description = "This party's part, 0 <= I < N (default: ${DEFAULT-VALUE}).")
  int partitionIndex;

  @Option(names = "--partition-count", paramLabel = "N", defaultValue = "1",
      description = "Number of parts; all parties of a job use the same N, --partition and --seed so their "
          + "parts are disjoint (default: ${DEFAULT-VALUE}).")
  int partitionCount;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
      description = "Seed of the split and of the local sample order (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--model", paramLabel = "NAME",
      description = "Model this party expects; the party stops if the job trains another (default: the job's model).")
  String model;

  @Option(names = "--local-epochs", paramLabel = "E",
      description = "Passes over the local data per round (default: the server's suggestion, else 1).")
  Integer localEpochs;

  @Option(names = "--batch-size", paramLabel = "B", defaultValue = "" + dev.flotilla.cli.FederationOptions.DEFAULT_BATCH_SIZE,
      description = "Samples per SGD step (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--lr", paramLabel = "RATE", defaultValue = dev.flotilla.cli.FederationOptions.DEFAULT_LR,
      description = "SGD learning rate (default: ${DEFAULT-VALUE}).")
  float learningRate;

  @Option(names = "--momentum", paramLabel = "M", defaultValue = dev.flotilla.cli.FederationOptions.DEFAULT_MOMENTUM,
      description = "SGD momentum, 0 <= M < 1 (default: ${DEFAULT-VALUE}).")
  float momentum;

  @Option(names = "--weight-decay", paramLabel = "WD", defaultValue = dev.flotilla.cli.FederationOptions.DEFAULT_WEIGHT_DECAY,
      description = "SGD weight decay (L2 added to every gradient, as torch.optim.SGD's), >= 0 (default: ${DEFAULT-VALUE}).")
  float weightDecay;

  @Option(names = "--torchscript", paramLabel = "FILE.pt",
      description = "Train this TorchScript module (torch.jit.script or trace, saved with .save()) in the JVM "
          + "instead of the job's built-in: its named parameters must be the job's tensors of the same names "
          + "(buffers such as BatchNorm running statistics stay local; see the party README).")
  Path torchScript;

  @Option(names = "--trainer-command", paramLabel = "CMD",
      description = "Train with this command instead of the built-in DJL model: every round it runs through "
          + "/bin/sh -c with the path of round.json appended, reads global.safetensors and writes update.safetensors "
          + "and result.json (contract in the party README). It never gets the TLS files or the network.")
  String trainerCommand;

  @Option(names = "--trainer-timeout", paramLabel = "DURATION", defaultValue = "30m",
      converter = DurationConverter.Positive.class,
      description = "Longest run of the trainer command, e.g. 90s, 30m, 2h or PT30M; then its process tree is killed and "
          + "the round is skipped (default: ${DEFAULT-VALUE}).")
  Duration trainerTimeout;

  @Option(names = "--give-up-after", paramLabel = "DURATION", defaultValue = "30m",
      converter = DurationConverter.Positive.class,
      description = "How long the server may stay unreachable (at the start or after losing it) before the party "
          + "gives up with exit 3, naming the server and since when: 90s, 30m, 2h or PT30M (default: ${DEFAULT-VALUE}).")
  Duration giveUpAfter;

  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "Where the trainer command's round directories go; the last 3 are kept for debugging "
          + "(default: a new temporary directory).")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    validate();
    Injector injector = Guice.createInjector(new PartyModule(this));
    PartyRunner runner = injector.getInstance(PartyRunner.class);
    Thread main = Thread.currentThread();
    Thread hook = new Thread(() -> {
      runner.stop();
      main.interrupt();
    }, "party-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    double accuracy = runner.run();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the JVM is exiting anyway
    }
    log.info("done: final accuracy {}", String.format(Locale.ROOT, "%.4f", accuracy));
    return 0;
  }

  /** Checks what can be checked before any I/O, so that a typo costs one line, not a stack trace. */
  void validate() {
    int colon = server.lastIndexOf(':');
    if (colon <= 0 || colon == server.length() - 1) {
      throw new ParameterException(spec.commandLine(), "--server '" + server + "' must be HOST:PORT, e.g. 127.0.0.1:8443");
    }
    try {
      int port = Integer.parseInt(server.substring(colon + 1));
      if (port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new ParameterException(spec.commandLine(), "--server '" + server + "' has no valid port (1-65535)");
    }
    Cli.requireFile("--ca", caCertificate());
    Cli.requireFile("--cert", cert);
    Cli.requireFile("--key", key);
    validateData();
    try {
      Partitioner.parse(partition);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--partition: " + e.getMessage());
    }
    if (partitionCount < 1) {
      throw new ParameterException(spec.commandLine(), "--partition-count must be at least 1, got " + partitionCount);
    }
    if (partitionIndex < 0 || partitionIndex >= partitionCount) {
      throw new ParameterException(spec.commandLine(), "--partition-index must be in [0, " + partitionCount
          + ") for --partition-count " + partitionCount + ", got " + partitionIndex);
    }
    if (model != null) {
      model = model.trim().toLowerCase(Locale.ROOT);
      if (!ModelSpecs.isBuiltIn(model)) {
        throw new ParameterException(spec.commandLine(), "--model must be a built-in model (mlp, cnn or "
            + "mlp:IN-H1-...-OUT), got '" + model + "'");
      }
    }
    if (trainerCommand != null && trainerCommand.isBlank()) {
      throw new ParameterException(spec.commandLine(), "--trainer-command is empty");
    }
    if (trainerCommand != null && torchScript != null) {
      throw new ParameterException(spec.commandLine(), "--torchscript and --trainer-command exclude each other");
    }
    if (torchScript != null) {
      Cli.requireFile("--torchscript", torchScript);
    }
    if (trainerCommand == null && workDir != null) {
      throw new ParameterException(spec.commandLine(), "--work-dir is for --trainer-command only");
    }
    if (workDir != null && Files.exists(workDir) && !Files.isDirectory(workDir)) {
      throw new ParameterException(spec.commandLine(), "--work-dir " + workDir + " exists and is not a directory");
    }
    if (localEpochs != null && localEpochs < 1) {
      throw new ParameterException(spec.commandLine(), "--local-epochs must be at least 1, got " + localEpochs);
    }
    if (batchSize < 1) {
      throw new ParameterException(spec.commandLine(), "--batch-size must be at least 1, got " + batchSize);
    }
    if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
      throw new ParameterException(spec.commandLine(), "--lr must be a positive number, got " + learningRate);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new ParameterException(spec.commandLine(), "--momentum must be in [0, 1), got " + momentum);
    }
    if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
      throw new ParameterException(spec.commandLine(), "--weight-decay must be >= 0, got " + weightDecay);
    }
  }

  /** Checks the data flags; the files themselves are read (and refused with exit 6) when the party starts. */
  void validateData() {
    try {
      dataFlags.checkPaths();
      dataOptions();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (!(testFraction > 0 && testFraction < 1)) {
      throw new ParameterException(spec.commandLine(), "--test-fraction must be between 0 and 1, got " + testFraction);
    }
    if (maxSamples != null && maxSamples < 1) {
      throw new ParameterException(spec.commandLine(), "--max-samples must be at least 1, got " + maxSamples);
    }
    if (evalSamples != null && evalSamples < 1) {
      throw new ParameterException(spec.commandLine(), "--eval-samples must be at least 1, got " + evalSamples);
    }
  }

  /** The data flags as one value, for the built-in --model when one is given. */
  DataOptions dataOptions() {
    return dataFlags.options(model);
  }

  /** What {@link PartyDataset#load} reads and keeps. */
  PartyDataset.Settings datasetSettings() {
    return new PartyDataset.Settings(dataFlags.data(), dataFlags.testData(), dataOptions(), testFraction, Partitioner.parse(partition),
        partitionIndex, partitionCount, seed, maxSamples, evalSamples);
  }

  /** The CA certificate that --ca names (CaLocation: the file, or ca.crt in the directory). */
  Path caCertificate() {
    return CaLocation.certificate(ca);
  }

  /** The command line with the project's look and exit codes (cli.ExitCode); tests call this too. */
  public static CommandLine commandLine() {
    return Cli.commandLine(new PartyCommand(), PartyCommand::exitCode);
  }

  /** Data that is not there is missing (4); data, flags or files the party cannot use are bad input (6). */
  private static ExitCode exitCode(Throwable t) {
    if (t instanceof DataMissingException) {
      return ExitCode.MISSING;
    }
    return t instanceof BadDataException || t instanceof IllegalArgumentException ? ExitCode.BAD_INPUT : null;
  }
}
