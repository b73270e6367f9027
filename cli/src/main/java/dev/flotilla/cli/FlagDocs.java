package dev.flotilla.cli;

import java.util.List;

/**
 * The flag reference (docs/flags.md), generated from the option sets: a table per command with every
 * flag, its value, default and description, the same words as its --help.
 */
public final class FlagDocs {

  private FlagDocs() {}

  /** The whole reference: a heading, how it is made, then one section per set in the order given. */
  public static String markdown(List<OptionSet> sets) {
    StringBuilder out = new StringBuilder();
    out.append("# Flags\n\n")
        .append("<!-- generated from the ConfigOption sets by FlagDocsTest in bench; do not edit: change the option\n")
        .append("     (cli/README.md, \"How to add an option\") and run\n")
        .append("     mvn -B -o -q -pl bench -am test -Dtest=FlagDocsTest -Dsurefire.failIfNoSpecifiedTests=false -Dflotilla.regenerate=true -->\n\n")
        .append("Every flag of the commands below, with its default, as `--help` prints it. Durations take `500ms`, ")
        .append("`30s`, `10m`, `1h30m`, `2d`, ISO-8601 (`PT10M`) or seconds (`300`). Every command also takes `--help` ")
        .append("and `--version`; exit codes: see the top-level README.\n\n");
    for (OptionSet set : sets) {
      out.append("- [").append(set.command()).append("](#").append(anchor(set.command())).append(")\n");
    }
    for (OptionSet set : sets) {
      out.append('\n').append(section(set));
    }
    return out.toString();
  }

  /** One command's table. */
  public static String section(OptionSet set) {
    StringBuilder out = new StringBuilder();
    out.append("## ").append(set.command()).append("\n\n")
        .append("| Flag | Default | Description |\n")
        .append("|---|---|---|\n");
    for (ConfigOption<?> option : set.options()) {
      String shown = option.defaultDisplay();
      out.append("| `").append(usage(option)).append("` | ")
          .append(shown == null ? "" : cell(shown)).append(" | ")
          .append(cell(option.description()))
          .append(option.repeatable() ? " Repeatable." : "")
          .append(" |\n");
    }
    return out.toString();
  }

  private static String usage(ConfigOption<?> option) {
    if (option.isSwitch()) {
      return Boolean.TRUE.equals(option.defaultValue()) ? "--[no-]" + option.name() : option.flag();
    }
    return option.flag() + " " + option.paramLabel();
  }

  private static String cell(String text) {
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ");
  }

  private static String anchor(String heading) {
    return heading.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9 -]", "").replace(' ', '-');
  }
}
