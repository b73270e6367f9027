package dev.flotilla.protocol.options;

import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Where the values of {@link FederationOptions} go in {@code flotilla demo} and {@code flotilla simulate} (a
 * picocli mixin); descriptions, defaults and parsers come from the options when the command's set is bound.
 */
public final class FederationFlags {

  private static final Pattern PARTITION = Pattern.compile("iid|dirichlet:[0-9.eE+-]+|labels:[0-9]+");

  @Spec(Spec.Target.MIXEE) CommandSpec spec;

  @Option(names = "--parties")
  public int parties;

  @Option(names = "--rounds")
  public int rounds;

  @Option(names = "--model")
  public String model;

  @Option(names = "--strategy")
  public String strategy;

  @Option(names = "--partition")
  public String partition;

  @Option(names = "--local-epochs")
  public int localEpochs;

  @Option(names = "--batch-size")
  public int batchSize;

  @Option(names = "--lr")
  public float learningRate;

  @Option(names = "--momentum")
  public float momentum;

  @Option(names = "--weight-decay")
  public float weightDecay;

  @Option(names = "--seed")
  public long seed;

  @Option(names = "--fraction")
  public double fraction;

  @Option(names = "--report")
  public Path report;

  @Option(names = "--privacy-budget")
  public Double privacyBudget;

  @Option(names = "--dp-delta")
  public Double dpDelta;

  @Option(names = "--dp-clip-norm")
  public Double dpClipNorm;

  @Option(names = "--dp-noise-multiplier")
  public Double dpNoiseMultiplier;

  @Option(names = "--dp-sampling-rate")
  public Double dpSamplingRate;

  @Option(names = "--dp-mode")
  public String dpMode;

  @Option(names = "--dp-dropout-tolerance")
  public Double dpDropoutTolerance;

  @Option(names = "--secure-aggregation")
  public boolean secureAggregation;

  /** The partition scheme asked for, else {@code fallback}, lower-cased. */
  public String partitionOr(String fallback) {
    return (partition != null ? partition : fallback).trim().toLowerCase(Locale.ROOT);
  }

  /** The model spec asked for, else the default. */
  public String modelOrDefault() {
    return model != null ? model : "mlp";
  }

  /** Refuses values no run could use, naming the option (exit 2). */
  public void validate() {
    CommandLine line = spec.commandLine();
    require(line, rounds >= 1, "--rounds must be at least 1, not " + rounds);
    require(line, model == null || !model.isBlank(), "--model must not be empty");
    require(line, FederationOptions.STRATEGIES.contains(strategy),
        "--strategy must be fedavg, fedprox, fedadam or fedyogi, not " + strategy);
    require(line, partition == null || PARTITION.matcher(partitionOr("")).matches(),
        "--partition must be iid, dirichlet:ALPHA or labels:K, not " + partition);
    require(line, localEpochs >= 1, "--local-epochs must be at least 1, not " + localEpochs);
    require(line, batchSize >= 1, "--batch-size must be at least 1, not " + batchSize);
    require(line, learningRate > 0 && Float.isFinite(learningRate), "--lr must be a positive number, not " + learningRate);
    require(line, momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), not " + momentum);
    require(line, weightDecay >= 0 && Float.isFinite(weightDecay), "--weight-decay must be >= 0, not " + weightDecay);
    require(line, fraction > 0 && fraction <= 1, "--fraction must be in (0, 1], not " + fraction);
    validatePrivacy(line);
    validateSecureAggregation(line);
  }

  /** What the server's --secure-aggregation refuses, refused before anything starts. */
  private void validateSecureAggregation(CommandLine line) {
    if (!secureAggregation) {
      return;
    }
    require(line, dev.flotilla.protocol.secagg.SecAggParams.MEAN_STRATEGIES.contains(strategy),
        "--secure-aggregation reveals only the sum of the updates; --strategy " + strategy + " needs each update (use one of "
            + dev.flotilla.protocol.secagg.SecAggParams.MEAN_STRATEGIES + ")");
    int perRound = (int) Math.ceil(fraction * parties);
    require(line, perRound >= dev.flotilla.protocol.secagg.SecAggParams.MIN_ROSTER, "--secure-aggregation needs at least "
        + dev.flotilla.protocol.secagg.SecAggParams.MIN_ROSTER + " parties a round (with two, the sum minus one's own "
        + "update is the other's); --parties " + parties + " and --fraction " + fraction + " give " + perRound);
  }

  /** The differential-privacy settings asked for, or null without --privacy-budget (call after {@link #validate}). */
  public PrivacySettings privacy() {
    return PrivacySettings.fromFlags(privacyBudget, dpDelta, dpClipNorm, dpNoiseMultiplier, dpSamplingRate, dpMode,
        dpDropoutTolerance);
  }

  /** The --dp-* flags as the server checks them, and what a budget excludes (as the server refuses it). */
  private void validatePrivacy(CommandLine line) {
    PrivacySettings privacy;
    try {
      privacy = privacy();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(line, e.getMessage());
    }
    if (privacy != null) {
      require(line, strategy.equals("fedavg"), "--privacy-budget runs DP-FedAvg; it cannot be combined with "
          + "--strategy " + strategy);
      require(line, fraction == 1, "--privacy-budget samples parties with --dp-sampling-rate (Poisson sampling, "
          + "which its accountant assumes); drop --fraction");
      // the server's --secagg-clip-range is left at its default by the demo and the simulator
      String refusal = privacy.secureAggregationRefusal(secureAggregation,
          ServerOptions.SECAGG_CLIP_RANGE.defaultValue());
      require(line, refusal == null, refusal);
    }
  }

  private static void require(CommandLine line, boolean condition, String message) {
    if (!condition) {
      throw new CommandLine.ParameterException(line, message);
    }
  }
}
