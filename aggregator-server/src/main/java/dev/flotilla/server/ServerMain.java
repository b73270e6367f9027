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
import dev.flotilla.protocol.tensor.WireEncoding;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.server.admission.AdmissionLimits;
import dev.flotilla.server.admission.NormBound;
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

/** {@code flotilla server}: the aggregator of one federated job, over mutual TLS. */
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

  @Option(names = "--port", defaultValue = "8443", description = "gRPC port (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address to listen on (default ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--cert", required = true, paramLabel = "FILE", description = "Server certificate chain, PEM (tls.crt).")
  Path cert;

  @Option(names = "--key", required = true, paramLabel = "FILE", description = "Server private key, PEM (tls.key).")
  Path key;

  @Option(names = "--ca", required = true, paramLabel = "CA",
      description = "The CA that party certificates must chain to: its ca.crt (PEM, may hold several), or the directory holding it.")
  Path ca;

  @Option(names = "--job-id", paramLabel = "JOB",
      description = "The job, in logs and status; must be the job of --cert's identity "
          + "(spiffe://<domain>/job/<job>/server/<name>), which is the default.")
  String jobId;

  @Option(names = "--rounds", defaultValue = "5", description = "Rounds to run (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--min-parties", defaultValue = "2",
      description = "Updates needed to aggregate a round; fewer and the round is retried (default ${DEFAULT-VALUE}).")
  int minParties;

  @Option(names = "--expected-parties", paramLabel = "N",
      description = "Parties the job is for (more are refused with RESOURCE_EXHAUSTED); the first round starts when "
          + "this many joined, or after --join-grace with at least --min-parties (default: --min-parties).")
  Integer expectedParties;

  @Option(names = "--join-grace", defaultValue = "30s", converter = dev.flotilla.protocol.cli.DurationConverter.class,
      description = "How long to wait for --expected-parties once --min-parties are connected (default ${DEFAULT-VALUE}).")
  Duration joinGrace;

  @Option(names = "--round-timeout", defaultValue = "300s", converter = dev.flotilla.protocol.cli.DurationConverter.class,
      description = "Deadline for a round's updates, e.g. 60s, 5m or PT5M (default ${DEFAULT-VALUE}).")
  Duration roundTimeout;

  @Option(names = "--final-eval-wait", defaultValue = "60s", converter = dev.flotilla.protocol.cli.DurationConverter.class,
      description = "After the last round, how long to wait for the parties' final evaluations (default ${DEFAULT-VALUE}).")
  Duration finalEvalWait;

  @Option(names = "--strategy", defaultValue = "fedavg", completionCandidates = StrategyNames.class,
      description = "Aggregation: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}). fedavg, fedprox, fedadam and "
          + "fedyogi fold updates as they stream (RAM O(model)); median, trimmed-mean, krum and multi-krum tolerate "
          + "poisoned updates and spill every update to <state-dir> (disk parties x model).")
  String strategy;

  @Option(names = "--fedprox-mu", defaultValue = "0.01", description = "FedProx proximal coefficient sent to parties (default ${DEFAULT-VALUE}).")
  double fedproxMu;

  @Option(names = "--server-lr", defaultValue = "0.02", description = "Server learning rate of FedAdam/FedYogi (default ${DEFAULT-VALUE}).")
  double serverLr;

  @Option(names = "--trim-fraction", defaultValue = "0.1", paramLabel = "FRACTION",
      description = "trimmed-mean: share of the parties whose values are dropped at each end of every coordinate, "
          + "in [0, 0.5); set it at least to the share of parties that may be poisoned (default ${DEFAULT-VALUE}).")
  double trimFraction;

  @Option(names = "--byzantine-parties", defaultValue = "1", paramLabel = "F",
      description = "krum, multi-krum: parties assumed Byzantine; rounds need more than 2F + 2 updates, so "
          + "--min-parties must be at least 2F + 3 (default ${DEFAULT-VALUE}).")
  int byzantineParties;

  @Option(names = "--krum-select", defaultValue = "0", paramLabel = "M",
      description = "multi-krum: how many lowest-scored updates are averaged; 0 = all but F (default ${DEFAULT-VALUE}).")
  int krumSelect;

  @Option(names = "--model", paramLabel = "NAME", completionCandidates = ModelNames.class,
      description = "A built-in architecture: ${COMPLETION-CANDIDATES} or mlp:IN-H1-...-OUT (default mlp, unless "
          + "--initial-model is given).")
  String model;

  @Option(names = "--initial-model", paramLabel = "FILE",
      description = "The job's initial model, safetensors (e.g. from safetensors.torch.save_file): its tensor names, "
          + "shapes and dtypes are the layout every update must have; its 'flotilla.model' metadata, if any, names "
          + "the architecture for the parties. Exclusive with --model.")
  Path initialModel;

  @Option(names = "--seed", defaultValue = "0",
      description = "Seed of a built-in model's initial weights (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--export", paramLabel = "FILE",
      description = "Where the final global model is written, safetensors with the initial model's names and dtypes "
          + "(default <state-dir>/" + ServerConfig.DEFAULT_EXPORT_FILE + ").")
  Path export;

  @Option(names = "--export-every-round",
      description = "Also write every round's global model to <state-dir>/models/round-NNNN.safetensors.")
  boolean exportEveryRound;

  @Option(names = "--local-epochs", defaultValue = "0",
      description = "Local epochs per round announced to parties; 0 = each party's own setting (default ${DEFAULT-VALUE}).")
  int localEpochs;

  @Option(names = "--state-dir", defaultValue = "./flotilla-state", description = "Checkpoint directory (default ${DEFAULT-VALUE}).")
  Path stateDir;

  @Option(names = "--metrics-port", defaultValue = "0",
      description = "Port of Prometheus /metrics and of the job's web view (/, /status.json), on --bind; 0 = off "
          + "(default ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--allow-party", paramLabel = "NAME", split = ",", arity = "1..*",
      description = "Only these party identities may join (repeatable or comma-separated).")
  List<String> allowParty = new ArrayList<>();

  @Option(names = "--allow-party-file", paramLabel = "FILE",
      description = "Party identities that may join, one per line ('#' comments), in addition to --allow-party; "
          + "read again whenever the file changes (e.g. a Kubernetes ConfigMap volume). Without either list "
          + "enrollment is open: any party identity of the job may take a slot, up to --expected-parties.")
  Path allowPartyFile;

  @Option(names = "--reconnect-grace", defaultValue = "10m", converter = dev.flotilla.protocol.cli.DurationConverter.class,
      description = "A party without a live Rounds stream for longer than this loses its slot (it may join again "
          + "while one is free) (default ${DEFAULT-VALUE}).")
  Duration reconnectGrace;

  @Option(names = "--max-samples-per-party", defaultValue = "100000000", paramLabel = "N",
      description = "Most training samples a party may announce at Join; an update may claim 1..the announced count "
          + "(default ${DEFAULT-VALUE}).")
  long maxSamplesPerParty;

  @Option(names = "--max-update-norm", paramLabel = "L2",
      description = "Bound on the L2 distance of an update from the global model of its round (off by default); "
          + "see --update-norm-action.")
  Double maxUpdateNorm;

  @Option(names = "--update-norm-action", defaultValue = "clip", paramLabel = "clip|refuse",
      description = "What happens to an update beyond --max-update-norm: clip (it is folded as global + "
          + "d * bound / ||d||) or refuse (INVALID_ARGUMENT) (default ${DEFAULT-VALUE}).")
  String updateNormAction;

  @Option(names = "--trusted-proxy", paramLabel = "NAME", split = ",",
      description = "Identity of a TLS-terminating proxy (e.g. ingress-nginx) allowed to forward the caller's "
          + "verified client certificate in the ssl-client-cert header (repeatable or comma-separated).")
  List<String> trustedProxy = new ArrayList<>();

  @Option(names = "--max-message-kib", defaultValue = "1088",
      description = "Largest gRPC message accepted, KiB: a 1 MiB data chunk plus room for an update's header "
          + "(default ${DEFAULT-VALUE}).")
  int maxMessageKib;

  @Option(names = "--max-calls-per-connection", defaultValue = "16",
      description = "Concurrent calls (HTTP/2 streams) one connection may have open (default ${DEFAULT-VALUE}).")
  int maxCallsPerConnection;

  @Option(names = "--max-calls-per-party", defaultValue = "8",
      description = "Concurrent calls one party identity may have in flight over all its connections; at most one "
          + "of them a SubmitUpdate (default ${DEFAULT-VALUE}).")
  int maxCallsPerParty;

  @Option(names = "--max-concurrent-uploads", defaultValue = "0", paramLabel = "N",
      description = "SubmitUpdate streams read at once; each keeps up to one model on disk (its spool file) until "
          + "it ends, so the disk needed is N x the model's size. Further uploads wait, in arrival order, without "
          + "being read (each holding one flow-control window of memory). 0, the default: as many as 16 GiB of "
          + "spool hold (16 for a 1 GiB model; at least 4).")
  int maxConcurrentUploads;

  @Option(names = "--update-encoding", defaultValue = "float32", paramLabel = "float32|bf16|fp16",
      converter = UpdateEncodingConverter.class,
      description = "How parties encode their updates' values on the wire, announced at Join: float32 (4 bytes a "
          + "value), bf16 (bfloat16: 2 bytes, float32's range, 8 significant bits) or fp16 (IEEE half: 2 bytes, "
          + "11 significant bits, |values| up to 65504; a party whose update holds a larger one skips the round). "
          + "2-byte encodings halve the bytes uploaded; the server widens values back to float32 before it "
          + "aggregates them; an update in another encoding is refused. The global model is always sent as "
          + "float32 (default ${DEFAULT-VALUE}).")
  WireEncoding updateEncoding;

  @Option(names = "--inline-model-bytes", defaultValue = "65536", paramLabel = "BYTES",
      description = "A global model of at most this many bytes (float32) is sent inside each TrainRequest, so "
          + "parties need no FetchModel call per round; larger models are fetched. At most one data chunk "
          + "(1048576); 0 never inlines (default ${DEFAULT-VALUE}: at 1000 parties a round's TrainRequests hold "
          + "at most 64 MiB in flight).")
  int inlineModelBytes;

  @Option(names = "--fraction", paramLabel = "F", defaultValue = "1.0",
      description = "Share of the connected parties asked to train each round, 0 < F <= 1, drawn afresh every round "
          + "from --seed and the round (at least --min-parties; default ${DEFAULT-VALUE}: all).")
  double fraction;

  @Option(names = "--termination-message", paramLabel = "FILE", description = "When the job ends, write a one-line JSON "
      + "summary (rounds, parties, last and final accuracy, last loss) to FILE; in a pod /dev/termination-log, which "
      + "Kubernetes keeps in the pod's status for the IflearnerJob controller (default: none).")
  Path terminationMessage;

  @Option(names = "--status-file", paramLabel = "FILE", description = "JSON status, rewritten atomically after every "
      + "round and at the end; 'bin/flotilla status FILE' prints it (with <state-dir>/status.json, "
      + "'bin/flotilla status --state-dir DIR' finds it).")
  Path statusFile;

  static final class UpdateEncodingConverter implements CommandLine.ITypeConverter<WireEncoding> {
    @Override
    public WireEncoding convert(String value) {
      try {
        return WireEncoding.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

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
    if (port < 0 || port > 65535 || metricsPort < 0 || metricsPort > 65535) {
      throw new IllegalArgumentException("ports must be in 0..65535");
    }
    if (maxMessageKib <= 1024 || maxMessageKib > 2_097_151) {
      throw new IllegalArgumentException("--max-message-kib must be in 1025..2097151 (data chunks are up to 1 MiB), got "
          + maxMessageKib);
    }
    if (roundTimeout.isZero() || roundTimeout.isNegative()) {
      throw new IllegalArgumentException("--round-timeout must be positive");
    }
    if (Files.exists(stateDir) && !Files.isDirectory(stateDir)) {
      throw new IllegalArgumentException("--state-dir " + stateDir + " is not a directory");
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
    return new ServerConfig(job, rounds, minParties, expectedParties == null ? minParties : expectedParties, joinGrace,
        roundTimeout, finalEvalWait, strategy, fedproxMu, serverLr, trimFraction, byzantineParties, krumSelect, builtIn, seed, localEpochs, stateDir, allowParty,
        maxMessageKib << 10, statusFile, admission, allowPartyFile, reconnectGrace, maxCallsPerConnection,
        maxCallsPerParty, initialModel, export, exportEveryRound, maxConcurrentUploads, updateEncoding,
        inlineModelBytes, fraction);
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
    Injector injector = Guice.createInjector(new ServerModule(config, new InetSocketAddress(bind, port),
        tlsFiles(), new java.util.LinkedHashSet<>(trustedProxy)));
    RoundCoordinator coordinator = injector.getInstance(RoundCoordinator.class);
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
    coordinator.run();
    if (terminationMessage != null) {
      dev.flotilla.server.status.TerminationMessage.write(terminationMessage, coordinator.status());
    }
    server.stop(5000);
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
    // flags the configuration refuses are usage errors (call()); what the files hold is input
    return Cli.commandLine(new ServerMain(), t -> t instanceof java.io.IOException || t instanceof java.io.UncheckedIOException
        || t instanceof IllegalArgumentException ? ExitCode.BAD_INPUT : null);
  }
}
