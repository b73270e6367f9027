package dev.flotilla.server.model;

import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import dev.flotilla.protocol.options.ServerOptions;
import dev.flotilla.protocol.model.ModelSpecs;
import java.nio.file.Path;
import java.util.List;

/** The options of {@code flotilla model init} ({@code show} takes only a file), each defined once (cli/README.md). */
public final class ModelOptions {
  private ModelOptions() {}

  public static final ConfigOption<String> MODEL = ConfigOption.string("--model").paramLabel("NAME")
      .description("The built-in architecture, e.g. " + ModelSpecs.MLP + " or " + ModelSpecs.CNN + ".");
  public static final ConfigOption<Path> OUT = ConfigOption.path("--out").description("The safetensors file to write.");

  /** The seed the server makes a built-in model with: the same flag, the same default. */
  public static final OptionSet INIT = OptionSet.of("flotilla model init", MODEL,
      ServerOptions.SEED.withDescription("Seed of the initial weights (the server's --seed gives the same model)."), OUT);

  public static final List<OptionSet> SETS = List.of(INIT);
}
