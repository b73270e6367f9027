package dev.flotilla.server;

import dev.flotilla.protocol.options.ServerOptions;
import dev.flotilla.protocol.tensor.WireEncoding;
import dev.flotilla.server.admission.AdmissionLimits;
import dev.flotilla.server.aggregation.StrategyOptions;
import dev.flotilla.server.privacy.PrivacyBudget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** The aggregator's job settings, as given on the command line. */
public record ServerConfig(
    String jobId,
    int rounds,
    int minParties,
    int expectedParties,
    Duration joinGrace,
    Duration roundTimeout,
    Duration finalEvaluationWait,
    String strategy,
    double fedproxMu,
    double serverLr,
    double trimFraction,
    int byzantineParties,
    int krumSelect,
    String model,
    long seed,
    int localEpochs,
    Path stateDir,
    List<String> allowedParties,
    int maxMessageBytes,
    Path statusFile,
    AdmissionLimits admission,
    Path allowPartyFile,
    Duration reconnectGrace,
    int maxCallsPerConnection,
    int maxCallsPerParty,
    Path initialModel,
    Path exportFile,
    boolean exportEveryRound,
    int maxConcurrentUploads,
    WireEncoding updateEncoding,
    int inlineModelBytes,
    PrivacyBudget privacy,
    double fraction,
    boolean checkPeers,
    Double secureAggregationClipRange) {

  // the defaults are ServerOptions'; these names stay for the code that reads them
  public static final int DEFAULT_MAX_MESSAGE_BYTES = ServerOptions.MAX_MESSAGE_KIB.defaultValue() << 10;
  public static final Duration DEFAULT_RECONNECT_GRACE = ServerOptions.RECONNECT_GRACE.defaultValue();
  public static final int DEFAULT_MAX_CALLS_PER_CONNECTION = ServerOptions.MAX_CALLS_PER_CONNECTION.defaultValue();
  public static final int DEFAULT_MAX_CALLS_PER_PARTY = ServerOptions.MAX_CALLS_PER_PARTY.defaultValue();
  public static final int DEFAULT_INLINE_MODEL_BYTES = ServerOptions.INLINE_MODEL_BYTES.defaultValue();
  public static final String DEFAULT_EXPORT_FILE = ServerOptions.DEFAULT_EXPORT_FILE;

  public ServerConfig {
    Objects.requireNonNull(jobId, "jobId");
    if ((model == null) == (initialModel == null)) {
      throw new IllegalArgumentException(model == null ? "the job needs a model: --model NAME or --initial-model FILE"
          : "--model " + model + " and --initial-model " + initialModel + " are exclusive: a built-in architecture, "
              + "or a safetensors file (whose " + dev.flotilla.protocol.model.Safetensors.MODEL_KEY
              + " metadata may name one)");
    }
    Objects.requireNonNull(stateDir, "stateDir");
    allowedParties = List.copyOf(allowedParties);
    Objects.requireNonNull(admission, "admission");
    Objects.requireNonNull(reconnectGrace, "reconnectGrace");
    Objects.requireNonNull(updateEncoding, "updateEncoding");
    if (maxMessageBytes <= (1 << 20)) {
      throw new IllegalArgumentException("the largest message must exceed the 1 MiB data chunks, got " + maxMessageBytes
          + " bytes");
    }
    if (reconnectGrace.isNegative()) {
      throw new IllegalArgumentException("--reconnect-grace must not be negative");
    }
    if (maxConcurrentUploads < 0) {
      throw new IllegalArgumentException("--max-concurrent-uploads must be >= 0 (0: as 16 GiB of spool hold), got "
          + maxConcurrentUploads);
    }
    if (inlineModelBytes < 0 || inlineModelBytes > dev.flotilla.protocol.tensor.TensorChunks.MAX_CHUNK_BYTES) {
      throw new IllegalArgumentException("--inline-model-bytes must be in 0.."
          + dev.flotilla.protocol.tensor.TensorChunks.MAX_CHUNK_BYTES + " (one data chunk at most), got "
          + inlineModelBytes);
    }
    if (maxCallsPerConnection < 1 || maxCallsPerParty < 1) {
      throw new IllegalArgumentException("--max-calls-per-connection and --max-calls-per-party must be >= 1");
    }
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException("--fraction must be in (0, 1], got " + fraction);
    }
    if (rounds < 1) {
      throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
    }
    if (minParties < 1) {
      throw new IllegalArgumentException("--min-parties must be >= 1, got " + minParties);
    }
    if (expectedParties < minParties) {
      throw new IllegalArgumentException("--expected-parties (" + expectedParties + ") must be >= --min-parties (" + minParties + ")");
    }
    // every way of making a configuration checks this, so a Krum round can never end with too few updates
    dev.flotilla.server.aggregation.Strategies.requireEnoughParties(strategy, new StrategyOptions(fedproxMu, serverLr,
        trimFraction, byzantineParties, krumSelect, admission.normBound()), minParties);
    dev.flotilla.server.aggregation.Strategies.requireAnnouncedEpochs(strategy, localEpochs);
    if (privacy != null && !strategy.equals("fedavg")) {
      throw new IllegalArgumentException("--privacy-budget runs DP-FedAvg (clipped updates, each party weighing the "
          + "same, Gaussian noise); it cannot be combined with --strategy " + strategy);
    }
    if (privacy != null && fraction < 1) {
      throw new IllegalArgumentException("--privacy-budget samples parties with --dp-sampling-rate (Poisson sampling, "
          + "which its accountant assumes); drop --fraction");
    }
    if (privacy != null && admission.normBound() != null) {
      throw new IllegalArgumentException("--privacy-budget clips every update to --dp-clip-norm; drop "
          + "--max-update-norm");
    }
    if (secureAggregationClipRange != null) {
      SecureAggregationRules.check(strategy, admission, minParties);
    }
    if (privacy != null) {
      String refusal = privacy.settings().secureAggregationRefusal(secureAggregationClipRange != null,
          secureAggregationClipRange == null ? 1 : secureAggregationClipRange);
      if (refusal != null) {
        throw new IllegalArgumentException(refusal);
      }
    }
    if (!allowedParties.isEmpty() && allowedParties.size() < minParties) {
      throw new IllegalArgumentException("--allow-party lists " + allowedParties.size() + " parties, fewer than --min-parties " + minParties);
    }
  }

  /** Whether rounds run SecAgg+ (--secure-aggregation). */
  public boolean secureAggregation() {
    return secureAggregationClipRange != null;
  }

  /** Where the final global model is exported: --export, or {@code <state-dir>/model-final.safetensors}. */
  public Path exportTarget() {
    return exportFile != null ? exportFile : stateDir.resolve(DEFAULT_EXPORT_FILE);
  }

  /** Where every round's model goes with --export-every-round, else null. */
  public Path roundModelsDirectory() {
    return exportEveryRound ? stateDir.resolve("models") : null;
  }

  /** A configuration with the command line's defaults, for tests and embedding. */
  public static Builder builder() {
    return new Builder();
  }

  /** The options of --strategy, with the norm bound of the admission limits. */
  public StrategyOptions strategyOptions() {
    return new StrategyOptions(fedproxMu, serverLr, trimFraction, byzantineParties, krumSelect, admission.normBound(),
        fraction);
  }

  public static final class Builder {
    private String jobId = "job1";
    private int rounds = ServerOptions.ROUNDS.defaultValue();
    private int minParties = ServerOptions.MIN_PARTIES.defaultValue();
    private Integer expectedParties;
    private Duration joinGrace = ServerOptions.JOIN_GRACE.defaultValue();
    private Duration roundTimeout = ServerOptions.ROUND_TIMEOUT.defaultValue();
    private Duration finalEvaluationWait = ServerOptions.FINAL_EVAL_WAIT.defaultValue();
    private String strategy = ServerOptions.STRATEGY.defaultValue();
    private double fedproxMu = StrategyOptions.DEFAULT_FEDPROX_MU;
    private double serverLr = StrategyOptions.DEFAULT_SERVER_LR;
    private double trimFraction = StrategyOptions.DEFAULT_TRIM_FRACTION;
    private int byzantineParties = StrategyOptions.DEFAULT_BYZANTINE_PARTIES;
    private int krumSelect = StrategyOptions.DEFAULT_KRUM_SELECT;
    private String model;
    private Path initialModel;
    private Path exportFile;
    private boolean exportEveryRound;
    private long seed = ServerOptions.SEED.defaultValue();
    private int localEpochs = ServerOptions.LOCAL_EPOCHS.defaultValue();
    private Path stateDir = Path.of("flotilla-state");
    private List<String> allowedParties = List.of();
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private Path statusFile;
    private AdmissionLimits admission = AdmissionLimits.defaults();
    private Path allowPartyFile;
    private Duration reconnectGrace = DEFAULT_RECONNECT_GRACE;
    private int maxCallsPerConnection = DEFAULT_MAX_CALLS_PER_CONNECTION;
    private int maxCallsPerParty = DEFAULT_MAX_CALLS_PER_PARTY;
    private int maxConcurrentUploads = ServerOptions.MAX_CONCURRENT_UPLOADS.defaultValue();
    private WireEncoding updateEncoding = ServerOptions.UPDATE_ENCODING.defaultValue();
    private int inlineModelBytes = DEFAULT_INLINE_MODEL_BYTES;
    private PrivacyBudget privacy;
    private double fraction = 1.0;
    private boolean checkPeers;
    private Double secureAggregationClipRange;

    public Builder jobId(String v) { jobId = v; return this; }
    public Builder rounds(int v) { rounds = v; return this; }
    public Builder minParties(int v) { minParties = v; return this; }
    public Builder expectedParties(int v) { expectedParties = v; return this; }
    public Builder joinGrace(Duration v) { joinGrace = v; return this; }
    public Builder roundTimeout(Duration v) { roundTimeout = v; return this; }
    public Builder finalEvaluationWait(Duration v) { finalEvaluationWait = v; return this; }
    public Builder strategy(String v) { strategy = v; return this; }
    public Builder fedproxMu(double v) { fedproxMu = v; return this; }
    public Builder serverLr(double v) { serverLr = v; return this; }
    public Builder trimFraction(double v) { trimFraction = v; return this; }
    public Builder byzantineParties(int v) { byzantineParties = v; return this; }
    public Builder krumSelect(int v) { krumSelect = v; return this; }
    public Builder model(String v) { model = v; return this; }
    public Builder initialModel(Path v) { initialModel = v; return this; }
    public Builder exportFile(Path v) { exportFile = v; return this; }
    public Builder exportEveryRound(boolean v) { exportEveryRound = v; return this; }
    public Builder seed(long v) { seed = v; return this; }
    public Builder localEpochs(int v) { localEpochs = v; return this; }
    public Builder stateDir(Path v) { stateDir = v; return this; }
    public Builder allowedParties(List<String> v) { allowedParties = v; return this; }
    public Builder maxMessageBytes(int v) { maxMessageBytes = v; return this; }
    public Builder statusFile(Path v) { statusFile = v; return this; }
    public Builder admission(AdmissionLimits v) { admission = v; return this; }
    public Builder allowPartyFile(Path v) { allowPartyFile = v; return this; }
    public Builder reconnectGrace(Duration v) { reconnectGrace = v; return this; }
    public Builder maxCallsPerConnection(int v) { maxCallsPerConnection = v; return this; }
    public Builder maxCallsPerParty(int v) { maxCallsPerParty = v; return this; }
    public Builder maxConcurrentUploads(int v) { maxConcurrentUploads = v; return this; }
    public Builder updateEncoding(WireEncoding v) { updateEncoding = v; return this; }
    public Builder inlineModelBytes(int v) { inlineModelBytes = v; return this; }
    public Builder privacy(PrivacyBudget v) { privacy = v; return this; }
    public Builder fraction(double v) { fraction = v; return this; }
    public Builder checkPeers(boolean v) { checkPeers = v; return this; }
    /** --secure-aggregation with this --secagg-clip-range; null: off. */
    public Builder secureAggregation(Double clipRange) { secureAggregationClipRange = clipRange; return this; }

    public ServerConfig build() {
      return new ServerConfig(jobId, rounds, minParties, expectedParties == null ? minParties : expectedParties,
          joinGrace, roundTimeout, finalEvaluationWait, strategy, fedproxMu, serverLr, trimFraction,
          byzantineParties, krumSelect,
          model == null && initialModel == null ? "mlp" : model, seed, localEpochs,
          stateDir, allowedParties, maxMessageBytes, statusFile, admission, allowPartyFile, reconnectGrace,
          maxCallsPerConnection, maxCallsPerParty, initialModel, exportFile, exportEveryRound, maxConcurrentUploads,
          updateEncoding, inlineModelBytes, privacy, fraction, checkPeers, secureAggregationClipRange);
    }
  }
}
