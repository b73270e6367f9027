package dev.flotilla.demo;

import dev.flotilla.common.logging.LogContext;
import dev.flotilla.protocol.options.FederationOptions;
import dev.flotilla.protocol.options.PartyOptions;
import dev.flotilla.protocol.options.ServerOptions;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An aggregator and its parties as separate JVMs on loopback, over mutual TLS with a throw-away
 * PKI: what the demo runs and what the e2e tests drive (kill, restart, inspect). Everything lives
 * in one working directory: pki/, state/ (checkpoints), status.json and logs/.
 */
public final class LocalFederation implements AutoCloseable {

  private final Settings settings;
  private final FlotillaJars jars;
  private final Path directory;
  private final FederationPki pki;
  private final ProcessGroup processes;
  private final int port;
  private final int webPort;
  private final List<ChildProcess> parties = new ArrayList<>();
  private ChildProcess server;
  private int serverStarts;
  private String partyServerAddress;

  private LocalFederation(Settings settings, FlotillaJars jars, Path directory) {
    this.settings = settings.resolved();
    this.jars = jars;
    this.directory = directory;
    LogContext.set(LogContext.JOB, settings.jobId);
    this.pki = FederationPki.create(directory.resolve("pki"), settings.jobId);
    this.processes = new ProcessGroup(directory.resolve("logs"));
    this.port = freeLoopbackPort();
    this.webPort = freeLoopbackPort();
  }

  /** Makes the PKI in {@code directory}; starts nothing yet. */
  public static LocalFederation prepare(Settings settings, FlotillaJars jars, Path directory) {
    jars.requirePresent("aggregator-server", "party");
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + directory, e);
    }
    return new LocalFederation(settings, jars, directory);
  }

  /** Starts the server, waits until it accepts connections, then starts every party. */
  public LocalFederation start() {
    startServer();
    awaitServerListening(Duration.ofSeconds(90));
    for (int i = 0; i < settings.parties; i++) {
      startParty(i);
    }
    return this;
  }

  /** Starts (or, after a kill, restarts) the server on the same port, state directory and status file. */
  public ChildProcess startServer() {
    if (server != null && server.isAlive()) {
      throw new IllegalStateException("the server is already running: " + server);
    }
    serverStarts++;
    server = processes.start("server", jars.javaCommand("aggregator-server", settings.jvmOptions, serverArgs().toList()),
        directory, Map.of());
    return server;
  }

  /** The server's command line: the built-in model and/or the initial model file, and any extra flags. */
  ServerArgs serverArgs() {
    ServerArgs args = ServerArgs.create(port, pki.server())
        .jobId(settings.jobId)
        .rounds(settings.rounds)
        .minParties(settings.minParties)
        .expectedParties(settings.parties)
        .roundTimeout(settings.roundTimeout)
        .strategy(settings.strategy)
        .localEpochs(settings.localEpochs)
        .updateEncoding(settings.updateEncoding);
    if (settings.model != null) {
      args.model(settings.model);
    }
    if (settings.initialModel != null) {
      args.initialModel(settings.initialModel);
    }
    args.seed(settings.seed)
        .stateDir(stateDirectory())
        .statusFile(statusFile())
        .metricsPort(webPort);
    if (settings.secureAggregation) {
      args.set(ServerOptions.SECURE_AGGREGATION, true);
    }
    settings.serverExtraArgs.forEach(flag -> args.add(flag.getKey(), flag.getValue()));
    return args;
  }

  /** Starts the party with this 0-based partition index (named {@code party-<index+1>}). */
  public ChildProcess startParty(int index) {
    return startParty(index, Map.of());
  }

  /**
   * Starts the party with this index with {@code ownFlags} (flag -> value) after every party's flags: what differs
   * between parties, e.g. each one's {@code --peer-port} and {@code --peer-address}.
   */
  public ChildProcess startParty(int index, Map<String, String> ownFlags) {
    String name = FederationPki.partyName(index);
    PartyArgs args = partyArgs(index);
    ownFlags.forEach(args::add);
    ChildProcess party = processes.start(name, jars.javaCommand("party", settings.jvmOptions, args.toList()),
        directory, partyEnvironment());
    parties.add(party);
    return party;
  }

  /**
   * Starts a party process hosting {@code count} virtual parties, {@code <name>-v0..}, of parts {@code firstPart}
   * .. {@code firstPart + count - 1} of the job's {@link Settings#parties} (a party pod of a study split over
   * pods), with a virtual-party host certificate for exactly {@code count}.
   */
  public ChildProcess startVirtualPartyHost(String name, int count, int firstPart) {
    String address = partyServerAddress != null ? partyServerAddress : "127.0.0.1:" + port;
    PartyArgs args = PartyArgs.create(address, pki.serverName(), pki.virtualPartyHost(name, count))
        .data(settings.dataDirectory)
        .partition(settings.partition, firstPart, settings.parties, settings.seed)
        .model(settings.model)
        .localEpochs(settings.localEpochs)
        .batchSize(settings.batchSize);
    if (settings.learningRate != null) {
      args.learningRate(settings.learningRate);
    }
    args.add(dev.flotilla.protocol.options.PartyOptions.VIRTUAL_PARTIES.flag(), Integer.toString(count));
    settings.partyExtraArgs.forEach(flag -> args.add(flag.getKey(), flag.getValue()));
    ChildProcess host = processes.start(name, jars.javaCommand("party", settings.jvmOptions, args.toList()),
        directory, Map.of());
    parties.add(host);
    return host;
  }

  /**
   * The command line of the party with this index. With an external trainer the party gets no
   * {@code --model}: the command trains whatever layout the job's Join answer carries.
   */
  PartyArgs partyArgs(int index) {
    String name = FederationPki.partyName(index);
    String address = partyServerAddress != null ? partyServerAddress : "127.0.0.1:" + port;
    PartyArgs args = PartyArgs.create(address, pki.serverName(), pki.party(name))
        .data(settings.dataDirectory)
        .partition(settings.partition, index, settings.parties, settings.seed);
    if (settings.model != null && settings.trainerCommand == null) {
      args.model(settings.model);
    }
    if (settings.trainerCommand != null) {
      args.trainerCommand(settings.trainerCommand);
    }
    args.localEpochs(settings.localEpochs)
        .batchSize(settings.batchSize);
    if (settings.learningRate != null) {
      args.learningRate(settings.learningRate);
    }
    settings.partyExtraArgs.forEach(flag -> args.add(flag.getKey(), flag.getValue()));
    return args;
  }

  /**
   * Parties started from now on dial {@code hostAndPort} (e.g. an ingress in front of the server)
   * instead of the server's port, still verifying the server as {@link FederationPki#serverName()}.
   */
  public LocalFederation routePartiesThrough(String hostAndPort) {
    this.partyServerAddress = hostAndPort;
    return this;
  }

  /**
   * Parties on one machine share its cores: with more parties than cores, one PyTorch thread each
   * avoids oversubscription (each would otherwise start one intra-op thread per core).
   */
  private Map<String, String> partyEnvironment() {
    int cores = Runtime.getRuntime().availableProcessors();
    int threads = Math.max(1, cores / settings.parties);
    String n = Integer.toString(threads);
    // FLOTILLA_TORCH_THREADS is the party's own setting (DJL's ai.djl.pytorch.num_threads); OMP_* covers the rest
    return Map.of("FLOTILLA_TORCH_THREADS", n, "OMP_NUM_THREADS", n, "MKL_NUM_THREADS", n);
  }

  /** Waits until the server accepts TCP connections; fails early if it exits first. */
  public void awaitServerListening(Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (!server.isAlive()) {
        throw new FederationFailure("the server exited with code " + server.exitCode().orElse(-1)
            + " before it accepted connections", processes.tails(30));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
        return;
      } catch (IOException notYet) {
        pause(200);
      }
    }
    throw new FederationFailure("the server did not accept connections on 127.0.0.1:" + port + " within " + timeout,
        processes.tails(30));
  }

  /**
   * The server's status file, empty before the server wrote one. The server replaces it atomically,
   * so a file it cannot read as a status is a failure (UncheckedIOException saying why), not a
   * moment to wait out.
   */
  public Optional<JobStatus> status() {
    try {
      return Optional.of(StatusJson.readFile(statusFile()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  public ChildProcess server() {
    return server;
  }

  /** How many times the server was started (2 after one restart). */
  public int serverStarts() {
    return serverStarts;
  }

  public List<ChildProcess> parties() {
    return List.copyOf(parties);
  }

  public int port() {
    return port;
  }

  /** The server's web view of the job (live charts, parties; /metrics beside it). */
  public java.net.URI webView() {
    return java.net.URI.create("http://127.0.0.1:" + webPort + "/");
  }

  public FederationPki pki() {
    return pki;
  }

  public Settings settings() {
    return settings;
  }

  public Path directory() {
    return directory;
  }

  public Path statusFile() {
    return directory.resolve("status.json");
  }

  public Path stateDirectory() {
    return directory.resolve("state");
  }

  public Path logDirectory() {
    return processes.logDirectory();
  }

  /** The last lines of every process's log, each line prefixed with the process's name. */
  public String logTails(int linesEach) {
    return processes.tails(linesEach);
  }

  /** Ends every process still running (SIGTERM, then SIGKILL after a grace period). */
  @Override
  public void close() {
    processes.close();
  }

  static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FederationFailure("interrupted", "");
    }
  }

  /** A federation that could not start or finish; {@link #logs()} holds the tails of the processes' logs. */
  public static final class FederationFailure extends RuntimeException {
    private final String logs;

    public FederationFailure(String message, String logs) {
      super(message);
      this.logs = logs;
    }

    public String logs() {
      return logs;
    }
  }

  /** How to run the federation; defaults are those of the demo. */
  public static final class Settings {
    String jobId = "job1";
    int parties = FederationOptions.PARTIES.defaultValue();
    int minParties = -1;
    int rounds = ServerOptions.ROUNDS.defaultValue();
    /** A built-in architecture; null when the job's model is only {@link #initialModel}. */
    String model = DemoOptions.DEFAULT_MODEL;
    Path initialModel;
    String trainerCommand;
    String strategy = ServerOptions.STRATEGY.defaultValue();
    String updateEncoding = ServerOptions.UPDATE_ENCODING.defaultValue().flagName();
    String partition = DemoOptions.defaultPartition(DemoOptions.ALPHA.defaultValue());
    long seed = PartyOptions.SEED.defaultValue();
    Path dataDirectory = PartyOptions.DATA.defaultValue();
    int localEpochs = FederationOptions.LOCAL_EPOCHS.defaultValue();
    int batchSize = PartyOptions.BATCH_SIZE.defaultValue();
    Double learningRate;
    Duration roundTimeout = ServerOptions.ROUND_TIMEOUT.defaultValue();
    List<String> jvmOptions = new ArrayList<>();
    boolean secureAggregation;
    List<Map.Entry<String, String>> serverExtraArgs = new ArrayList<>();
    List<Map.Entry<String, String>> partyExtraArgs = new ArrayList<>();

    public Settings jobId(String value) { jobId = value; return this; }
    public Settings parties(int value) { parties = value; return this; }
    /** Default: all parties. */
    public Settings minParties(int value) { minParties = value; return this; }
    public Settings rounds(int value) { rounds = value; return this; }
    /** A built-in architecture (mlp, mlp:IN-H1-...-OUT, cnn, resnet20...), or null with an {@link #initialModel}. */
    public Settings model(String value) { model = value; return this; }
    /** The server's {@code --initial-model}: a safetensors file whose tensors are the job's model. */
    public Settings initialModel(Path value) { initialModel = value; return this; }
    /** Every party's {@code --trainer-command}: trains in that command instead of DJL. */
    public Settings trainerCommand(String value) { trainerCommand = value; return this; }
    public Settings strategy(String value) { strategy = value; return this; }
    /** The server's {@code --update-encoding}: float32, bf16 or fp16. */
    public Settings updateEncoding(String value) { updateEncoding = value; return this; }
    public Settings partition(String value) { partition = value; return this; }
    public Settings seed(long value) { seed = value; return this; }
    public Settings dataDirectory(Path value) { dataDirectory = value; return this; }
    public Settings localEpochs(int value) { localEpochs = value; return this; }
    public Settings batchSize(int value) { batchSize = value; return this; }
    public Settings learningRate(Double value) { learningRate = value; return this; }
    public Settings roundTimeout(Duration value) { roundTimeout = value; return this; }
    /** The server's {@code --secure-aggregation} (the parties always announce that they can mask). */
    public Settings secureAggregation(boolean value) { secureAggregation = value; return this; }
    public Settings jvmOption(String value) { jvmOptions.add(value); return this; }
    public Settings serverArg(String flag, String value) { serverExtraArgs.add(Map.entry(flag, value)); return this; }
    public Settings partyArg(String flag, String value) { partyExtraArgs.add(Map.entry(flag, value)); return this; }

    public int parties() { return parties; }
    public int rounds() { return rounds; }
    public String model() { return model; }
    public Path initialModel() { return initialModel; }
    public String trainerCommand() { return trainerCommand; }
    public String strategy() { return strategy; }
    public String partition() { return partition; }

    Settings resolved() {
      if (minParties < 0) {
        minParties = parties;
      }
      if (model == null && initialModel == null) {
        throw new IllegalArgumentException("a federation needs a built-in model or an initial model file");
      }
      return this;
    }
  }
}
