package dev.flotilla.server;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.flotilla.certs.CaLocation;
import dev.flotilla.certs.Identity;
import dev.flotilla.cli.Cli;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.certs.Role;
import dev.flotilla.common.logging.LogContext;
import dev.flotilla.common.logging.LogOptions;
import dev.flotilla.common.logging.Logging;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.options.ServerOptions;
import dev.flotilla.protocol.tensor.WireEncoding;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.server.admission.AdmissionLimits;
import dev.flotilla.server.admission.NormBound;
import dev.flotilla.server.privacy.PrivacyBudget;
import dev.flotilla.server.aggregation.Strategies;
import dev.flotilla.server.aggregation.StrategyOptions;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.status.RecentStatus;
import dev.flotilla.server.status.WebView;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine;

/**
 * {@code flotilla server}: the aggregator of one federated job, over mutual TLS. Each option's description,
 * default and parser is in {@link ServerOptions}; a field here only says where its value goes.
 */
@Command(name = "flotilla server", sortOptions = false,
    description = {
        "Run the aggregator of one federated-learning job over mutual TLS (BoringSSL).",
        "Parties are identified by their client certificates; at most --expected-parties (or the parties of the "
            + "--allow-party / --allow-party-file list) may join.",
        "The job is checkpointed in --state-dir after every round; a restarted server resumes from it and the "
            + "parties reconnect by themselves.",
        "Exits 0 once all rounds are done and the final evaluations arrived (or --final-eval-wait passed).", ""})
public final class ServerMain implements Callable<Integer> {
  @Mixin LogOptions logOptions;

  private static final Logger log = LoggerFactory.getLogger(ServerMain.class);

  @Option(names = "--port")
  int port;

  @Option(names = "--bulk-port")
  int bulkPort;

  @Option(names = "--bulk-idle-timeout")
  Duration bulkIdleTimeout;

  @Option(names = "--bind")
  String bind;

  @Option(names = "--cert", required = true)
  Path cert;

  @Option(names = "--key", required = true)
  Path key;

  @Option(names = "--ca", required = true)
  Path ca;

  @Option(names = "--job-id")
  String jobId;

  @Option(names = "--rounds")
  int rounds;

  @Option(names = "--min-parties")
  int minParties;

  @Option(names = "--expected-parties")
  Integer expectedParties;

  @Option(names = "--join-grace")
  Duration joinGrace;

  @Option(names = "--round-timeout")
  Duration roundTimeout;

  @Option(names = "--final-eval-wait")
  Duration finalEvalWait;

  @Option(names = "--strategy", completionCandidates = StrategyNames.class)
  String strategy;

  @Option(names = "--fedprox-mu")
  double fedproxMu;

  @Option(names = "--server-lr")
  double serverLr;

  @Option(names = "--trim-fraction")
  double trimFraction;

  @Option(names = "--byzantine-parties")
  int byzantineParties;

  @Option(names = "--krum-select")
  int krumSelect;

  @Option(names = "--model", completionCandidates = ModelNames.class)
  String model;

  @Option(names = "--initial-model")
  Path initialModel;

  @Option(names = "--seed")
  long seed;

  @Option(names = "--export")
  Path export;

  @Option(names = "--export-every-round")
  boolean exportEveryRound;

  @Option(names = "--local-epochs")
  int localEpochs;

  @Option(names = "--state-dir")
  Path stateDir;

  @Option(names = "--metrics-port")
  int metricsPort;

  @Option(names = "--allow-party", split = ",", arity = "1..*")
  List<String> allowParty = new ArrayList<>();

  @Option(names = "--allow-party-file")
  Path allowPartyFile;

  @Option(names = "--revoked-serials")
  Path revokedSerials;

  @Option(names = "--reconnect-grace")
  Duration reconnectGrace;

  @Option(names = "--max-samples-per-party")
  long maxSamplesPerParty;

  @Option(names = "--max-update-norm")
  Double maxUpdateNorm;

  @Option(names = "--update-norm-action")
  String updateNormAction;

  @Option(names = "--trusted-proxy", split = ",")
  List<String> trustedProxy = new ArrayList<>();

  @Option(names = "--max-message-kib")
  int maxMessageKib;

  @Option(names = "--max-calls-per-connection")
  int maxCallsPerConnection;

  @Option(names = "--max-connections")
  int maxConnections;

  @Option(names = "--max-connections-per-source")
  int maxConnectionsPerSource;

  @Option(names = "--max-pending-handshakes")
  int maxPendingHandshakes;

  @Option(names = "--max-handshakes-per-source")
  int maxHandshakesPerSource;

  @Option(names = "--handshake-timeout")
  Duration handshakeTimeout;

  @Option(names = "--max-connections-per-identity")
  int maxConnectionsPerIdentity;

  @Option(names = "--max-calls-per-party")
  int maxCallsPerParty;

  @Option(names = "--max-concurrent-uploads")
  int maxConcurrentUploads;

  @Option(names = "--update-encoding")
  WireEncoding updateEncoding;

  @Option(names = "--inline-model-bytes")
  int inlineModelBytes;

  @Option(names = "--privacy-budget")
  Double privacyBudget;

  @Option(names = "--dp-delta")
  Double dpDelta;

  @Option(names = "--dp-clip-norm")
  Double dpClipNorm;

  @Option(names = "--dp-noise-multiplier")
  Double dpNoiseMultiplier;

  @Option(names = "--dp-sampling-rate")
  Double dpSamplingRate;

  @Option(names = "--dp-mode")
  String dpMode;

  @Option(names = "--dp-dropout-tolerance")
  Double dpDropoutTolerance;

  @Option(names = "--secure-aggregation")
  boolean secureAggregation;

  @Option(names = "--secagg-clip-range")
  double secaggClipRange;

  @Option(names = "--fraction")
  double fraction;

  @Option(names = "--check-peers", negatable = true, fallbackValue = "true")
  boolean checkPeers;

  @Option(names = "--virtual-parties-per-host")
  int virtualPartiesPerHost;

  @Option(names = "--termination-message")
  Path terminationMessage;

  @Option(names = "--status-file")
  Path statusFile;

  static final class StrategyNames extends ArrayList<String> {
    StrategyNames() {
      super(Strategies.NAMES);
    }
  }

  static final class ModelNames extends ArrayList<String> {
    ModelNames() {
      super(ModelSpecs.NAMES);
    }
  }

  /**
   * The aggregator's own identity, from --cert: it fixes the trust domain and job whose parties
   * are admitted, so it must be a server identity of --job-id.
   */
  Identity ownIdentity() {
    Identity self = tlsFiles().identity();
    if (self.role() != Role.SERVER) {
      throw new IllegalArgumentException("--cert " + cert + " holds the " + self.role().pathSegment() + " identity " + self
          + "; the aggregator needs a server certificate (bin/flotilla certs issue --role server ...)");
    }
    if (jobId != null && !jobId.equals(self.job())) {
      throw new IllegalArgumentException("--job-id " + jobId + " is not the job of --cert's identity " + self
          + "; the certificate decides which job's parties are admitted");
    }
    return self;
  }

  /** The configuration of {@code job}: every flag checked, so usage errors come before any file is read. */
  ServerConfig config(String job) {
    if (!Strategies.NAMES.contains(strategy)) {
      throw new IllegalArgumentException("--strategy '" + strategy + "' is not one of " + Strategies.NAMES);
    }
    if (model != null && initialModel != null) {
      throw new IllegalArgumentException("--model and --initial-model are exclusive: give a built-in architecture "
          + "or a safetensors file (its 'flotilla.model' metadata may name the architecture)");
    }
    String builtIn = initialModel == null && model == null ? ModelSpecs.MLP : model;
    if (builtIn != null) {
      try {
        ModelSpecs.forName(builtIn);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--model: " + e.getMessage());
      }
    }
    if (initialModel != null) {
      Cli.requireFile("--initial-model", initialModel);
    }
    if (export != null && Files.isDirectory(export)) {
      throw new IllegalArgumentException("--export " + export + " is a directory; name the file to write");
    }
    if (Files.exists(stateDir) && !Files.isDirectory(stateDir)) {
      throw new IllegalArgumentException("--state-dir " + stateDir + " is not a directory");
    }
    if (revokedSerials != null && !Files.isReadable(revokedSerials)) {
      throw new IllegalArgumentException("cannot read --revoked-serials " + revokedSerials);
    }
    if (allowPartyFile != null && !Files.isReadable(allowPartyFile)) {
      throw new IllegalArgumentException("cannot read --allow-party-file " + allowPartyFile);
    }
    NormBound.Action normAction = NormBound.Action.parse(updateNormAction);
    AdmissionLimits admission = AdmissionLimits.defaults().withMaxSamplesPerParty(maxSamplesPerParty)
        .withNormBound(maxUpdateNorm == null ? null : new NormBound(maxUpdateNorm, normAction));
    StrategyOptions options = new StrategyOptions(fedproxMu, serverLr, trimFraction, byzantineParties, krumSelect,
        admission.normBound());
    Strategies.byName(strategy, options); // validates the options the strategy uses
    PrivacyBudget privacy = privacyBudget();
    return new ServerConfig(job, rounds, minParties, expectedParties == null ? minParties : expectedParties, joinGrace,
        roundTimeout, finalEvalWait, strategy, fedproxMu, serverLr, trimFraction, byzantineParties, krumSelect, builtIn, seed, localEpochs, stateDir, allowParty,
        maxMessageKib << 10, statusFile, admission, allowPartyFile, reconnectGrace, maxCallsPerConnection,
        maxCallsPerParty, initialModel, export, exportEveryRound, maxConcurrentUploads, updateEncoding,
        inlineModelBytes, privacy, fraction, checkPeers, secureAggregation ? secaggClipRange : null);
  }

  /** --privacy-budget and its --dp-* settings, or null without a budget (then no --dp-* flag may be given). */
  private PrivacyBudget privacyBudget() {
    var flags = dev.flotilla.protocol.options.PrivacySettings.fromFlags(privacyBudget, dpDelta, dpClipNorm,
        dpNoiseMultiplier, dpSamplingRate, dpMode, dpDropoutTolerance);
    return flags == null ? null : PrivacyBudget.of(flags);
  }

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    try {
      config(jobId == null ? "unknown" : jobId);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Cli.requireFile("--cert", cert);
    Cli.requireFile("--key", key);
    Cli.requireFile("--ca", CaLocation.certificate(ca));
    Identity self = ownIdentity();
    ServerConfig config = config(self.job());
    ServerModule module = new ServerModule(config, new InetSocketAddress(bind, port), tlsFiles(),
        new java.util.LinkedHashSet<>(trustedProxy)).revokedSerials(revokedSerials)
        .virtualPartiesPerHost(virtualPartiesPerHost).connectionCaps(maxConnections, maxConnectionsPerSource)
        .handshakeCaps(maxPendingHandshakes, maxHandshakesPerSource, handshakeTimeout, maxConnectionsPerIdentity);
    Injector injector = Guice.createInjector(module);
    RoundCoordinator coordinator = injector.getInstance(RoundCoordinator.class);
    // before the gRPC port, so every party that joins is offered it
    BulkUploadServer bulk = bulkPort == 0 ? null : module.openBulkPort(injector,
        new InetSocketAddress(bind, bulkPort), bulkIdleTimeout);
    FederationServer server = injector.getInstance(FederationServer.class).start();
    ServerMetrics metrics = injector.getInstance(ServerMetrics.class);
    HTTPServer metricsServer = metricsPort == 0 ? null
        : WebView.serve(bind, metricsPort, metrics.registry(), injector.getInstance(RecentStatus.class));
    if (metricsServer != null) {
      log.info("job {}: web view on http://{}:{}/ (status at /status.json), Prometheus metrics at /metrics",
          config.jobId(), bind, metricsServer.getPort());
    }
    Thread hook = new Thread(() -> {
      try {
        server.stop(2000);
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    }, "shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    log.info("job {}: aggregator {} on {}:{} (TLS {}), admitting parties of job {} in {}, state in {}", config.jobId(), self.name(),
        bind, server.port(), dev.flotilla.protocol.tls.BoringSsl.providerName(), self.job(), self.trustDomain(),
        stateDir.toAbsolutePath());
    log.info("job {}: aggregation kernels: {}", config.jobId(), dev.flotilla.protocol.tensor.FloatKernels.describe());
    PrivacyBudget privacy = config.privacy();
    if (privacy != null) {
      // from the coordinator's ledger: a resumed job's rounds were charged with the settings they ran
      dev.flotilla.protocol.status.PrivacyStatus spent = coordinator.status().privacy();
      log.info("job {}: DP-FedAvg: updates clipped to L2 {}, noise multiplier {}, parties sampled at rate {}; the "
              + "budget epsilon {} at delta {} allows {} of the {} rounds ({} spent)", config.jobId(), privacy.clipNorm(),
          privacy.noiseMultiplier(), privacy.samplingRate(), privacy.epsilonBudget(), privacy.delta(),
          spent.roundsAllowed(), config.rounds(), String.format(java.util.Locale.ROOT, "%.4g", spent.epsilonSpent()));
    }
    coordinator.run();
    if (terminationMessage != null) {
      dev.flotilla.server.status.TerminationMessage.write(terminationMessage, coordinator.status());
    }
    server.stop(5000);
    if (bulk != null) {
      bulk.close();
    }
    if (metricsServer != null) {
      metricsServer.close();
    }
    Runtime.getRuntime().removeShutdownHook(hook);
    return 0;
  }

  private TlsFiles tlsFiles() {
    return new TlsFiles(cert, key, CaLocation.certificate(ca));
  }

  public static void main(String[] args) {
    Logging.start(LogContext.ROLE_SERVER);
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code of the table (for tests and embedding). */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The command line with the project's look and exit codes. */
  public static CommandLine commandLine() {
    return commandLine(new ServerMain());
  }

  /** {@code main} as a command line whose options are {@link ServerOptions#SET} (tests read its fields). */
  static CommandLine commandLine(ServerMain main) {
    // flags the configuration refuses are usage errors (call()); what the files hold is input
    return Cli.commandLine(main, ServerOptions.SET, t -> t instanceof java.io.IOException || t instanceof java.io.UncheckedIOException
        || t instanceof IllegalArgumentException ? ExitCode.BAD_INPUT : null);
  }
}
