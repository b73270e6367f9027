package dev.flotilla.bench.quality;

import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import dev.flotilla.protocol.options.PartyOptions;
import java.nio.file.Path;

/** The options of {@code flotilla partition}: the party's split flags, so that the parts are the parties' own. */
public final class PartitionOptions {
  private PartitionOptions() {}

  public static final ConfigOption<Path> DATA = PartyOptions.DATA.withDescription(
      "Directory of the Fashion-MNIST idx files, gzipped or not.");
  public static final ConfigOption<String> PARTITION = PartyOptions.PARTITION.withDescription(
      "iid, dirichlet:ALPHA or labels:K, as the party's --partition.");
  /** The party's --partition-count without its default of 1: a split into one part is not what this is for. */
  public static final ConfigOption<Integer> COUNT = ConfigOption.integer("--partition-count")
      .description("Number of parts (the parties' --partition-count; also --count).");
  public static final ConfigOption<Long> SEED = PartyOptions.SEED.withDescription("The parties' --seed.");
  public static final ConfigOption<Path> OUT = ConfigOption.path("--out").description("JSON file to write.");

  public static final OptionSet SET = OptionSet.of("flotilla partition", DATA, PARTITION, COUNT, SEED, OUT);
}
