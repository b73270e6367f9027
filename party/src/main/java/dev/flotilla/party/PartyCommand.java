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
import dev.flotilla.party.peer.PeerChannels;
import dev.flotilla.party.train.PyTorchEngine;
import dev.flotilla.protocol.options.PartyOptions;
import dev.flotilla.protocol.peer.PeerAddresses;
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

  @Option(names = "--server", required = true)
  String server;

  @Option(names = "--server-name")
  String serverName;

  @Option(names = "--bulk-upload", negatable = true, fallbackValue = "true")
  boolean bulkUpload;

  @Option(names = "--bulk-server")
  String bulkServer;

  @Option(names = "--bulk-server-name")
  String bulkServerName;

  @Option(names = "--server-identity")
  String serverIdentity;

  @Option(names = "--ca", required = true)
  Path ca;

  @Option(names = "--cert", required = true)
  Path cert;

  @Option(names = "--key", required = true)
  Path key;

  @Mixin DataFlags dataFlags;
  @Mixin LogOptions logOptions;

  @Option(names = "--test-fraction")
  double testFraction;

  @Option(names = "--max-samples")
  Integer maxSamples;

  @Option(names = "--eval-samples")
  Integer evalSamples;

  @Option(names = "--partition")
  String partition;

  @Option(names = "--partition-index")
  int partitionIndex;

  @Option(names = "--partition-count")
  int partitionCount;

  @Option(names = "--seed")
  long seed;

  @Option(names = "--model")
  String model;

  @Option(names = "--local-epochs")
  Integer localEpochs;

  @Option(names = "--batch-size")
  int batchSize;

  @Option(names = "--lr")
  float learningRate;

  @Option(names = "--momentum")
  float momentum;

  @Option(names = "--weight-decay")
  float weightDecay;

  @Option(names = "--torchscript")
  Path torchScript;

  @Option(names = "--trainer-command")
  String trainerCommand;

  @Option(names = "--trainer-timeout")
  Duration trainerTimeout;

  @Option(names = "--give-up-after")
  Duration giveUpAfter;

  @Option(names = "--work-dir")
  Path workDir;

  @Option(names = "--peer-port")
  int peerPort;

  @Option(names = "--peer-address")
  String peerAddress;

  @Option(names = "--peer-host")
  String peerHost;

  @Option(names = "--virtual-parties")
  int virtualParties;

  @Option(names = "--virtual-trainers")
  Integer virtualTrainers;

  @Override
  public Integer call() throws Exception {
    validate();
    if (virtualParties > 0) {
      return VirtualHostCommand.run(this);
    }
    if (model != null || torchScript != null) {
      PyTorchEngine.loadInBackground(); // while the data set is read
    }
    Injector injector = Guice.createInjector(new PartyModule(this));
    PartyRunner runner = injector.getInstance(PartyRunner.class);
    if (peerPort != 0) {
      runner.usePeerChannel(PeerChannels.start(peerPort, peerAddress, peerHost, cert, key, caCertificate()));
    }
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

  private void requireHostAndPort(String flag, String target) {
    int colon = target.lastIndexOf(':');
    if (colon <= 0 || colon == target.length() - 1) {
      throw new ParameterException(spec.commandLine(), flag + " '" + target + "' must be HOST:PORT, e.g. 127.0.0.1:8443");
    }
    try {
      int port = Integer.parseInt(target.substring(colon + 1));
      if (port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new ParameterException(spec.commandLine(), flag + " '" + target + "' has no valid port (1-65535)");
    }
  }

  /** Checks what can be checked before any I/O, so that a typo costs one line, not a stack trace. */
  void validate() {
    requireHostAndPort("--server", server);
    if (bulkServer != null) {
      requireHostAndPort("--bulk-server", bulkServer);
    }
    validatePeerFlags();
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
    if (virtualParties > 0) {
      VirtualHostCommand.validate(this, spec);
    } else if (partitionIndex < 0 || partitionIndex >= partitionCount) {
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

  /** --peer-*: a port in range, and the address and name bounded as the aggregator and the peers check them. */
  void validatePeerFlags() {
    if (peerPort < 0 || peerPort > 65535) {
      throw new ParameterException(spec.commandLine(), "--peer-port must be in 0..65535 (0: no peer endpoint), got "
          + peerPort);
    }
    if (peerPort == 0 && (peerAddress != null || peerHost != null)) {
      throw new ParameterException(spec.commandLine(), "--peer-address and --peer-host describe the peer endpoint; "
          + "give --peer-port too");
    }
    try {
      if (peerAddress != null) {
        PeerAddresses.checkAddress(peerAddress);
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--peer-address: " + e.getMessage());
    }
    try {
      if (peerHost != null) {
        peerHost = PeerAddresses.checkServerName(peerHost);
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--peer-host: " + e.getMessage());
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
    return commandLine(new PartyCommand());
  }

  /** {@code party} as a command line whose options are {@link PartyOptions#SET} (tests read its fields). */
  static CommandLine commandLine(PartyCommand party) {
    return Cli.commandLine(party, PartyOptions.SET, PartyCommand::exitCode);
  }

  /** Data that is not there is missing (4); data, flags or files the party cannot use are bad input (6). */
  private static ExitCode exitCode(Throwable t) {
    if (t instanceof DataMissingException) {
      return ExitCode.MISSING;
    }
    return t instanceof BadDataException || t instanceof IllegalArgumentException ? ExitCode.BAD_INPUT : null;
  }
}
