package dev.flotilla.demo;

import dev.flotilla.common.logging.LogOptions;
import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.options.FederationOptions;
import dev.flotilla.protocol.options.PartyOptions;
import dev.flotilla.protocol.options.ServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Every option of {@code flotilla demo}. Those it passes to its server or parties are theirs
 * ({@link ServerOptions}, {@link PartyOptions}) in the demo's words, so the default is the server's or the party's.
 */
public final class DemoOptions {
  private DemoOptions() {}

  /** The environment variable naming the Fashion-MNIST directory. */
  static final String DATASET_VARIABLE = "FLOTILLA_FASHION_MNIST";
  static final String DEFAULT_MODEL = ModelSpecs.MLP;

  public static final ConfigOption<Path> INITIAL_MODEL = ServerOptions.INITIAL_MODEL.withDescription(
      "The job's model as a safetensors file (the server's --initial-model): its tensor names, shapes and dtypes "
          + "are the job's layout, its values version 0. Exclusive with --model.");

  public static final ConfigOption<String> TRAINER_COMMAND = PartyOptions.TRAINER_COMMAND.withDescription(
      "Every party trains by running CMD (through /bin/sh -c, with the path of round.json appended, in a fresh round "
          + "directory: give absolute paths), e.g. '/usr/bin/python3 $PWD/examples/pytorch/fashion_mnist.py'.");

  public static final ConfigOption<dev.flotilla.protocol.tensor.WireEncoding> UPDATE_ENCODING =
      ServerOptions.UPDATE_ENCODING.withDescription("How the parties encode their updates (the server's "
          + "--update-encoding): bf16 and fp16 send 2 bytes a value instead of 4, halving the bytes uploaded, at the "
          + "cost of precision in every update.");

  public static final ConfigOption<Path> EXPORT = ConfigOption.path("--export")
      .description("Write the final global model to FILE as safetensors (the server's --export), ready for "
          + "safetensors.torch.load_file and load_state_dict in PyTorch.");

  public static final ConfigOption<Path> DATA = ConfigOption.path("--data").paramLabel("PATH")
      .defaultText("$" + DATASET_VARIABLE + ", else " + PartyOptions.DATA.defaultValue())
      .description("The parties' data, passed to each party's --data: Fashion-MNIST idx files (gzipped or not) or any "
          + "format the party (or --trainer-command) reads.");

  public static final ConfigOption<Path> TEST_DATA = PartyOptions.TEST_DATA.withDescription(
      "Each party's --test-data (held-out set).");

  public static final ConfigOption<Integer> MAX_SAMPLES = PartyOptions.MAX_SAMPLES.withDescription(
      "Each party's --max-samples (cap on its training samples).");

  public static final ConfigOption<Integer> EVAL_SAMPLES = PartyOptions.EVAL_SAMPLES.withDescription(
      "Each party's --eval-samples (cap on its evaluation samples).");

  public static final ConfigOption<String> PARTY_OPTION = ConfigOption.string("--party-option").paramLabel("NAME=VALUE")
      .repeatable()
      .description("Passes --NAME VALUE to every party, e.g. a data-format option (--party-option label-column=target) "
          + "or --party-option trainer-timeout=10m.");

  public static final ConfigOption<String> PARTITION = FederationOptions.PARTITION.withDescription(
      "How the training set is split among the parties: iid, dirichlet:ALPHA (per class, capped at an equal share "
          + "per party) or labels:K (K classes per party); without it, dirichlet:<--alpha>.");

  public static final ConfigOption<Double> ALPHA = ConfigOption.decimal("--alpha")
      .defaultValue(0.5)
      .description("Dirichlet concentration of the label split; smaller is less IID.");

  public static final ConfigOption<Duration> ROUND_TIMEOUT = ServerOptions.ROUND_TIMEOUT.withDescription(
      "How long a round waits for late updates: 90s, 5m, PT5M, or seconds.");

  public static final ConfigOption<Duration> TIMEOUT = ConfigOption.positiveDuration("--timeout")
      .defaultText("2m + rounds x round timeout")
      .description("Give up after this long in total: 20m, PT20M, or seconds.");

  public static final ConfigOption<Path> DIR = ConfigOption.path("--dir").paramLabel("DIR")
      .defaultText("a new temporary directory")
      .description("Working directory for certificates, checkpoints and logs.");

  public static final ConfigOption<Boolean> VIA_INGRESS = ConfigOption.onOff("--via-ingress")
      .description("Parties dial <job>.server.<domain> through a local nginx configured from the controller's "
          + "passthrough Ingress (SNI routing, TLS ends in the aggregator), as through ingress-nginx in a cluster.");

  public static final ConfigOption<Boolean> KEEP_DIR = ConfigOption.onOff("--keep-dir")
      .description("Keep the working directory after a successful run (it is always kept after a failure).");

  public static final OptionSet SET = OptionSet.of("flotilla demo", FederationOptions.PARTIES, FederationOptions.ROUNDS, FederationOptions.MODEL, INITIAL_MODEL,
      TRAINER_COMMAND, FederationOptions.STRATEGY, UPDATE_ENCODING, FederationOptions.REPORT, EXPORT, DATA, TEST_DATA, MAX_SAMPLES, EVAL_SAMPLES,
      PARTY_OPTION, PARTITION, ALPHA, FederationOptions.SEED, FederationOptions.LOCAL_EPOCHS, FederationOptions.BATCH_SIZE, FederationOptions.LR, FederationOptions.MOMENTUM,
      FederationOptions.WEIGHT_DECAY, FederationOptions.FRACTION, ROUND_TIMEOUT, TIMEOUT, DIR, VIA_INGRESS,
      KEEP_DIR)
      .with(FederationOptions.PRIVACY)
      .with(LogOptions.FORMAT);

  /** The split without --partition: Dirichlet with --alpha. */
  static String defaultPartition(Object alpha) {
    return String.format(Locale.ROOT, "dirichlet:%s", alpha);
  }
}
