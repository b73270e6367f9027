package dev.flotilla.protocol.options;

import dev.flotilla.cli.ConfigOption;
import java.nio.file.Path;

/**
 * The options of a whole federation that {@code flotilla demo} and {@code flotilla simulate} share, defined
 * once: the same flag means the same in both and has one default, which is the server's or the party's where
 * the option is passed on to them. {@link FederationFlags} is where their values go.
 */
public final class FederationOptions {
  private FederationOptions() {}

  /** The strategies whose aggregation streams (memory O(model)); the robust ones take options of their own. */
  public static final java.util.List<String> STRATEGIES = java.util.List.of("fedavg", "fedprox", "fednova", "scaffold",
      "fedadam", "fedyogi");

  public static final String DEFAULT_PARTITION = "dirichlet:0.5";

  public static final ConfigOption<Integer> PARTIES = ConfigOption.integer("--parties")
      .check(n -> n >= 1, "at least 1")
      .defaultValue(3)
      .description("Number of parties.");

  public static final ConfigOption<Integer> ROUNDS = ServerOptions.ROUNDS.withDescription("Federated rounds.");

  public static final ConfigOption<String> MODEL = ServerOptions.MODEL.withDescription(
      "A built-in architecture: mlp, mlp:IN-H1-...-OUT, cnn, resnet20.");

  public static final ConfigOption<String> STRATEGY = ServerOptions.STRATEGY.withDescription(
      "fedavg, fedprox, fednova, scaffold, fedadam or fedyogi (the server's --strategy; these stream updates).");

  public static final ConfigOption<String> PARTITION = ConfigOption.string("--partition").paramLabel("SCHEME")
      .defaultText(DEFAULT_PARTITION)
      .description("How the training set is split among the parties: iid, dirichlet:ALPHA (per class, capped at an "
          + "equal share per party) or labels:K (K classes per party).");

  public static final ConfigOption<Integer> LOCAL_EPOCHS = ConfigOption.integer("--local-epochs")
      .defaultValue(1)
      .description("Local epochs per round (each party's --local-epochs).");

  public static final ConfigOption<Integer> BATCH_SIZE = PartyOptions.BATCH_SIZE.withDescription(
      "Samples per local SGD step.");

  public static final ConfigOption<Float> LR = PartyOptions.LR.withDescription("Local SGD learning rate.");

  public static final ConfigOption<Float> MOMENTUM = PartyOptions.MOMENTUM.withDescription(
      "Local SGD momentum, 0 <= M < 1.");

  public static final ConfigOption<Float> WEIGHT_DECAY = PartyOptions.WEIGHT_DECAY.withDescription(
      "Local SGD weight decay (L2, as torch.optim.SGD's), >= 0.");

  public static final ConfigOption<Long> SEED = PartyOptions.SEED.withDescription(
      "Seed of the split, of the initial model, of the sample order and of party sampling.");

  public static final ConfigOption<Double> FRACTION = ServerOptions.FRACTION.withDescription(
      "Share of the parties asked to train each round, 0 < F <= 1 (the server's --fraction).");

  public static final ConfigOption<Path> REPORT = ConfigOption.path("--report")
      .description("Write the run's figures as JSON to FILE, and the charts of the final status as a "
          + "self-contained HTML file beside it (FILE with .html for .json).");

  // Differential privacy: the server's flags, handed to it (the demo's server, the simulator's aggregator)

  public static final ConfigOption<Double> PRIVACY_BUDGET = ServerOptions.PRIVACY_BUDGET.withDescription(
      "Run DP-FedAvg under this (epsilon, --dp-delta) budget (the server's --privacy-budget): each update is clipped "
          + "to --dp-clip-norm, every party weighs the same, Gaussian noise of std --dp-noise-multiplier x "
          + "--dp-clip-norm / (expected participants) is added at the aggregator, parties are sampled each round with "
          + "--dp-sampling-rate; a round that would take epsilon beyond the budget does not start and the run ends "
          + "there, with the reason and epsilon in its report. Needs --dp-clip-norm, --dp-noise-multiplier, "
          + "--strategy fedavg and no --fraction.");

  public static final ConfigOption<Double> DP_DELTA = ServerOptions.DP_DELTA.withDescription(
      "With --privacy-budget: the budget's delta, in (0, 0.1]; choose it below 1 / --parties.");

  public static final ConfigOption<Double> DP_CLIP_NORM = ServerOptions.DP_CLIP_NORM.withDescription(
      "With --privacy-budget: bound on each update's L2 distance from the round's global model, in (0, 1e6].");

  public static final ConfigOption<Double> DP_NOISE_MULTIPLIER = ServerOptions.DP_NOISE_MULTIPLIER.withDescription(
      "With --privacy-budget: noise std over --dp-clip-norm, in [0.01, 1000]; larger spends less epsilon per round "
          + "and makes noisier models.");

  public static final ConfigOption<Double> DP_SAMPLING_RATE = ServerOptions.DP_SAMPLING_RATE.withDescription(
      "With --privacy-budget: probability that each party is asked to train in a round (Poisson sampling, which "
          + "the accountant assumes), in (0, 1]; it replaces --fraction.");

  public static final ConfigOption<Boolean> SECURE_AGGREGATION = ServerOptions.SECURE_AGGREGATION.withDescription(
      "Aggregate every round with SecAgg+ (the server's --secure-aggregation): each party masks its update with "
          + "pairwise masks and a self-mask whose seeds are Shamir-shared among its neighbours, and the aggregator "
          + "unmasks only their sum. Needs at least 3 parties a round and --strategy fedavg, fedprox, fedadam or "
          + "fedyogi; with --privacy-budget, needs --dp-mode distributed.");

  public static final ConfigOption<String> DP_MODE = ServerOptions.DP_MODE.withDescription(
      "With --privacy-budget: central (the aggregator adds the noise) or distributed (with --secure-aggregation: each "
          + "party clips its update's difference from the global model and adds its share of the noise before "
          + "masking, so no one sees the sum without noise; the server's --dp-mode).");

  public static final ConfigOption<Double> DP_DROPOUT_TOLERANCE = ServerOptions.DP_DROPOUT_TOLERANCE.withDescription(
      "With --dp-mode distributed: the share of a round's parties that may drop with the sum still carrying the "
          + "calibrated noise, in [0, 0.9] (the server's --dp-dropout-tolerance).");

  /** The privacy options, in the order of the commands' help (after the others). */
  public static final ConfigOption<?>[] PRIVACY = {PRIVACY_BUDGET, DP_DELTA, DP_CLIP_NORM, DP_NOISE_MULTIPLIER,
      DP_SAMPLING_RATE, DP_MODE, DP_DROPOUT_TOLERANCE, SECURE_AGGREGATION};

  /** In the order of the commands' help. */
  public static final ConfigOption<?>[] ALL = {PARTIES, ROUNDS, MODEL, STRATEGY, PARTITION, LOCAL_EPOCHS,
      BATCH_SIZE, LR, MOMENTUM, WEIGHT_DECAY, SEED, FRACTION, REPORT,
      PRIVACY_BUDGET, DP_DELTA, DP_CLIP_NORM, DP_NOISE_MULTIPLIER, DP_SAMPLING_RATE, DP_MODE, DP_DROPOUT_TOLERANCE,
      SECURE_AGGREGATION};
}
