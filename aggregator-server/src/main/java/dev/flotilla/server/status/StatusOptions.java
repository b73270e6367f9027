package dev.flotilla.server.status;

import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import java.nio.file.Path;

/** The options of {@code flotilla status}, each defined once (cli/README.md). */
public final class StatusOptions {
  private StatusOptions() {}

  /** Not the server's {@code --state-dir} constant: that one has a default, and here the file is the default. */
  public static final ConfigOption<Path> STATE_DIR = ConfigOption.path("--state-dir").paramLabel("DIR")
      .description("The server's --state-dir: reads DIR/" + StatusCommand.FILE_IN_STATE_DIR + " (start the server "
          + "with --status-file DIR/" + StatusCommand.FILE_IN_STATE_DIR + "). Exclusive with FILE.");
  public static final ConfigOption<Boolean> JSON = ConfigOption.onOff("--json")
      .description("Print the status as JSON (the file's fields, checked and re-encoded).");

  public static final OptionSet SET = OptionSet.of("flotilla status", STATE_DIR, JSON);
}
