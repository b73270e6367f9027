package dev.flotilla.simulator;

import dev.flotilla.common.logging.LogOptions;
import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import dev.flotilla.protocol.options.FederationOptions;
import java.nio.file.Path;
import java.time.Duration;

/** Every option of {@code flotilla simulate}: the federation's are the demo's ({@link FederationOptions}). */
public final class SimulateOptions {
  private SimulateOptions() {}

  public static final ConfigOption<Path> DATA = ConfigOption.path("--data").paramLabel("DIR")
      .defaultText("$FLOTILLA_FASHION_MNIST or /usr/share/datasets/fashion-mnist")
      .description("Fashion-MNIST idx files, gzipped or not.");

  public static final ConfigOption<Integer> TRAINERS = ConfigOption.integer("--trainers").paramLabel("N")
      .check(n -> n >= 1, "at least 1")
      .defaultText("the number of cores")
      .description("Size of the trainer pool the virtual parties share.");

  public static final ConfigOption<Path> STATE_DIR = ConfigOption.path("--state-dir").paramLabel("DIR")
      .defaultText("a temporary directory, deleted at the end")
      .description("The aggregator's state directory: checkpoints and every round's model as safetensors.");

  /** Longer than the server's default: every virtual party of a round shares this machine's cores. */
  public static final ConfigOption<Duration> ROUND_TIMEOUT = ConfigOption.positiveDuration("--round-timeout")
      .defaultValue(Duration.ofMinutes(30))
      .description("How long a round waits for its parties: 90s, 5m, PT5M, or seconds.");

  public static final ConfigOption<Double> EVALUATE_FRACTION = ConfigOption.decimal("--evaluate-fraction")
      .paramLabel("F")
      .defaultValue(0.0)
      .check(f -> f >= 0 && f <= 1, "in [0, 1]")
      .description("Federated evaluation on a sample: each round ceil(F x parties) virtual parties (at least one), "
          + "drawn from --seed and the round, evaluate the global model on their local held-out split, and the "
          + "sample-weighted mean accuracy and loss are printed and reported beside the central figures. The "
          + "partition has no per-party test split, so with F > 0 each party holds out 10 % of its part (at most "
          + "1000 samples, drawn by --seed) from training. 0 (the default) is off.");

  public static final OptionSet SET = OptionSet.of("flotilla simulate", FederationOptions.ALL)
      .with(DATA, TRAINERS, STATE_DIR, ROUND_TIMEOUT, EVALUATE_FRACTION)
      .with(LogOptions.FORMAT);
}
