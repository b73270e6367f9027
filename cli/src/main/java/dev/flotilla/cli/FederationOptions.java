package dev.flotilla.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options of a whole federation that {@code bin/flotilla demo} and {@code bin/flotilla simulate}
 * share, declared once (a picocli mixin) so they mean the same in both and have one default each.
 * The training defaults are the party's too ({@link #DEFAULT_BATCH_SIZE} and the rest).
 */
public final class FederationOptions {

  public static final int DEFAULT_BATCH_SIZE = 64;
  public static final String DEFAULT_LR = "0.01";
  public static final String DEFAULT_MOMENTUM = "0.9";
  public static final String DEFAULT_WEIGHT_DECAY = "0";
  public static final String DEFAULT_PARTITION = "dirichlet:0.5";
  public static final String DEFAULT_MODEL = "mlp";
  /** The strategies whose aggregation streams (memory O(model)); the robust ones take options of their own. */
  public static final java.util.List<String> STRATEGIES = java.util.List.of("fedavg", "fedprox", "fedadam", "fedyogi");
  private static final Pattern PARTITION = Pattern.compile("iid|dirichlet:[0-9.eE+-]+|labels:[0-9]+");

  @Spec(Spec.Target.MIXEE) CommandSpec spec;

  @Option(names = "--parties", defaultValue = "3", description = "Number of parties (default: ${DEFAULT-VALUE}).")
  public int parties;

  @Option(names = "--rounds", defaultValue = "5", description = "Federated rounds (default: ${DEFAULT-VALUE}).")
  public int rounds;

  @Option(names = "--model", paramLabel = "SPEC",
      description = "A built-in architecture: mlp, mlp:IN-H1-...-OUT, cnn, resnet20 (default: " + DEFAULT_MODEL + ").")
  public String model;

  @Option(names = "--strategy", defaultValue = "fedavg",
      description = "fedavg, fedprox, fedadam or fedyogi (default: ${DEFAULT-VALUE}).")
  public String strategy;

  @Option(names = "--partition", paramLabel = "SCHEME",
      description = "How the training set is split among the parties: iid, dirichlet:ALPHA (per class, capped at "
          + "an equal share per party) or labels:K (K classes per party) (default: " + DEFAULT_PARTITION + ").")
  public String partition;

  @Option(names = "--local-epochs", defaultValue = "1", description = "Local epochs per round (default: ${DEFAULT-VALUE}).")
  public int localEpochs;

  @Option(names = "--batch-size", defaultValue = "" + DEFAULT_BATCH_SIZE,
      description = "Samples per local SGD step (default: ${DEFAULT-VALUE}).")
  public int batchSize;

  @Option(names = "--lr", defaultValue = DEFAULT_LR, description = "Local SGD learning rate (default: ${DEFAULT-VALUE}).")
  public float learningRate;

  @Option(names = "--momentum", defaultValue = DEFAULT_MOMENTUM,
      description = "Local SGD momentum, 0 <= M < 1 (default: ${DEFAULT-VALUE}).")
  public float momentum;

  @Option(names = "--weight-decay", defaultValue = DEFAULT_WEIGHT_DECAY,
      description = "Local SGD weight decay (L2, as torch.optim.SGD's), >= 0 (default: ${DEFAULT-VALUE}).")
  public float weightDecay;

  @Option(names = "--seed", defaultValue = "42",
      description = "Seed of the split, of the initial model, of the sample order and of party sampling (default: ${DEFAULT-VALUE}).")
  public long seed;

  @Option(names = "--fraction", paramLabel = "F", defaultValue = "1.0",
      description = "Share of the parties asked to train each round, 0 < F <= 1 (the server's --fraction; default: ${DEFAULT-VALUE}).")
  public double fraction;

  @Option(names = "--report", paramLabel = "FILE",
      description = "Write the run's figures as JSON to FILE, and the charts of the final status as a "
          + "self-contained HTML file beside it (FILE with .html for .json).")
  public Path report;

  /** The partition scheme asked for, else {@code fallback}, lower-cased. */
  public String partitionOr(String fallback) {
    return (partition != null ? partition : fallback).trim().toLowerCase(Locale.ROOT);
  }

  /** The model spec asked for, else the default. */
  public String modelOrDefault() {
    return model != null ? model : DEFAULT_MODEL;
  }

  /** Refuses values no run could use, naming the option (exit 2). */
  public void validate() {
    CommandLine line = spec.commandLine();
    require(line, parties >= 1, "--parties must be at least 1, not " + parties);
    require(line, rounds >= 1, "--rounds must be at least 1, not " + rounds);
    require(line, model == null || !model.isBlank(), "--model must not be empty");
    require(line, STRATEGIES.contains(strategy), "--strategy must be fedavg, fedprox, fedadam or fedyogi, not " + strategy);
    require(line, partition == null || PARTITION.matcher(partitionOr("")).matches(),
        "--partition must be iid, dirichlet:ALPHA or labels:K, not " + partition);
    require(line, localEpochs >= 1, "--local-epochs must be at least 1, not " + localEpochs);
    require(line, batchSize >= 1, "--batch-size must be at least 1, not " + batchSize);
    require(line, learningRate > 0 && Float.isFinite(learningRate), "--lr must be a positive number, not " + learningRate);
    require(line, momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), not " + momentum);
    require(line, weightDecay >= 0 && Float.isFinite(weightDecay), "--weight-decay must be >= 0, not " + weightDecay);
    require(line, fraction > 0 && fraction <= 1, "--fraction must be in (0, 1], not " + fraction);
  }

  private static void require(CommandLine line, boolean condition, String message) {
    if (!condition) {
      throw new CommandLine.ParameterException(line, message);
    }
  }
}
