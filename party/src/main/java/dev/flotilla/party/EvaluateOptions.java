package dev.flotilla.party;

import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import dev.flotilla.protocol.options.PartyOptions;
import java.nio.file.Path;

/** The options of {@code flotilla evaluate}, each defined once (cli/README.md); its data flags are the party's. */
public final class EvaluateOptions {
  private EvaluateOptions() {}

  public static final ConfigOption<Path> MODEL_FILE = ConfigOption.path("--model-file").paramLabel("FILE.safetensors")
      .description("The model to evaluate.");
  /** Not the party's --model: there it names what a party expects of the job, here what the file holds. */
  public static final ConfigOption<String> MODEL = ConfigOption.string("--model").paramLabel("NAME")
      .defaultText("the file's flotilla.model metadata")
      .description("Built-in architecture of the file: mlp, mlp:IN-H1-...-OUT, cnn, resnet20.");
  public static final ConfigOption<Path> TORCHSCRIPT = PartyOptions.TORCHSCRIPT.withDescription(
      "A TorchScript module to evaluate with the file's tensors as its parameters, instead of a built-in.");
  /** Not the party's --eval-samples: its default's words are about rounds. */
  public static final ConfigOption<Integer> EVAL_SAMPLES = ConfigOption.integer("--eval-samples")
      .defaultText("all")
      .description("Evaluate on at most N samples (a sample seeded by --seed).");
  public static final ConfigOption<Long> SEED = PartyOptions.SEED.withDescription("Seed of the --eval-samples sample.");
  /** Not the party's --batch-size (64, an SGD step): a forward pass takes more at once. */
  public static final ConfigOption<Integer> BATCH_SIZE = ConfigOption.integer("--batch-size").paramLabel("B")
      .defaultValue(1000)
      .description("Samples per forward pass.");
  public static final ConfigOption<Boolean> JSON = ConfigOption.onOff("--json").description("Print the result as one JSON object.");

  public static final OptionSet SET = OptionSet.of("flotilla evaluate", MODEL_FILE, MODEL, TORCHSCRIPT)
      .with(PartyOptions.DATA_OPTIONS).with(EVAL_SAMPLES, SEED, BATCH_SIZE, JSON);
}
