package dev.flotilla.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The options of one command ({@code flotilla server}, {@code flotilla party}, ...), each defined once as a
 * {@link ConfigOption}. The command declares only where a value goes ({@code @Option(names = "--rounds") int
 * rounds;}); {@link #bind} gives picocli the option's description, default, value label and parser.
 */
public final class OptionSet {
  private final String command;
  private final Map<String, ConfigOption<?>> byFlag = new LinkedHashMap<>();

  private OptionSet(String command, List<ConfigOption<?>> options) {
    this.command = command;
    for (ConfigOption<?> option : options) {
      if (byFlag.put(option.flag(), option) != null) {
        throw new IllegalArgumentException(command + " has " + option.flag() + " twice");
      }
    }
  }

  /** The options of {@code command} (e.g. "flotilla server"), in the order of its help. */
  public static OptionSet of(String command, ConfigOption<?>... options) {
    return new OptionSet(command, List.of(options));
  }

  /** These options and {@code more} (e.g. a mixin's), under the same command. */
  public OptionSet with(ConfigOption<?>... more) {
    List<ConfigOption<?>> all = new ArrayList<>(byFlag.values());
    all.addAll(List.of(more));
    return new OptionSet(command, all);
  }

  public String command() {
    return command;
  }

  public List<ConfigOption<?>> options() {
    return List.copyOf(byFlag.values());
  }

  /** The option with this flag, or null. */
  public ConfigOption<?> find(String flag) {
    return byFlag.get(flag);
  }

  /**
   * Replaces every picocli option of {@code spec} that is in this set by one with the set's description,
   * default, label and parser (keeping where the value goes, arity and splitting), in the same order.
   *
   * @throws IllegalStateException when an option of the set is not declared by the command: a typo in a
   *     flag fails the command's first test, not a user
   */
  public void bind(CommandSpec spec) {
    List<OptionSpec> declared = new ArrayList<>(spec.options());
    List<String> missing = new ArrayList<>(byFlag.keySet());
    List<OptionSpec> bound = new ArrayList<>();
    for (OptionSpec o : declared) {
      ConfigOption<?> option = byFlag.get(o.longestName());
      if (option == null) {
        bound.add(o);
      } else {
        missing.remove(option.flag());
        bound.add(bound(o, option));
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException(command + " declares no @Option for " + missing);
    }
    declared.forEach(spec::remove);
    bound.forEach(spec::addOption);
  }

  private static OptionSpec bound(OptionSpec declared, ConfigOption<?> option) {
    OptionSpec.Builder b = OptionSpec.builder(declared)
        .description(escapeFormat(option.helpText()))
        .descriptionKey(null);
    if (!option.paramLabel().isEmpty()) {
      b.paramLabel(option.paramLabel());
    }
    String picocliDefault = picocliDefault(option);
    if (picocliDefault != null) {
      b.defaultValue(picocliDefault);
    }
    if (option.hasOwnParser()) {
      b.converters(value -> {
        try {
          return option.parse(value);
        } catch (IllegalArgumentException e) {
          // picocli adds "Invalid value for option '--flag'"
          throw new CommandLine.TypeConversionException(e.getMessage().substring(option.flag().length() + 2));
        }
      });
    }
    return b.build();
  }

  @SuppressWarnings("unchecked")
  private static <T> String picocliDefault(ConfigOption<T> option) {
    T value = option.defaultValue();
    String text = value == null ? null : option.isSwitch() ? String.valueOf(value) : option.format(value);
    if (option.environment() == null) {
      return text;
    }
    return "${env:" + option.environment() + (text == null ? "" : ":-" + text) + "}";
  }

  /** picocli formats descriptions ({@code %n}); a percent sign in an option's words is text. */
  private static String escapeFormat(String text) {
    return text.replace("%", "%%");
  }
}
