package dev.flotilla.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One option of a Flotilla command, defined once (in the spirit of Flink's {@code ConfigOptions}): its flag,
 * type, default, description and parser. picocli takes the description, default and parser from here
 * ({@link OptionSet#bind}); the flag reference is generated from here ({@link FlagDocs}); a command that
 * passes the option to another process (the demo to its server, the controller to its pods) writes it with
 * {@link #arg} or {@link #assignment}, so neither the name nor the value syntax is typed twice.
 *
 * <pre>{@code
 * ConfigOption<Duration> ROUND_TIMEOUT = ConfigOption.positiveDuration("--round-timeout")
 *     .defaultValue(Duration.ofMinutes(5))
 *     .description("Deadline for a round's updates.");
 * }</pre>
 *
 * @param <T> the value of one occurrence (a repeatable option's element)
 */
public final class ConfigOption<T> {
  private final String flag;
  private final String paramLabel;
  private final T defaultValue;
  private final String defaultText;
  private final String environment;
  private final String description;
  private final boolean repeatable;
  private final boolean isSwitch;
  private final boolean custom;
  private final Function<String, T> parser;
  private final Function<T, String> formatter;

  private ConfigOption(Builder<T> b, String description) {
    this.flag = b.flag;
    this.paramLabel = b.paramLabel;
    this.defaultValue = b.defaultValue;
    this.defaultText = b.defaultText;
    this.environment = b.environment;
    this.description = Objects.requireNonNull(description, "description");
    this.repeatable = b.repeatable;
    this.isSwitch = b.isSwitch;
    this.custom = b.custom;
    this.parser = b.parser;
    this.formatter = b.formatter;
  }

  /** A duration in the project's one syntax ({@link Durations}), zero allowed. */
  public static Builder<Duration> duration(String flag) {
    return new Builder<>(flag, "DURATION", Durations::parse, Durations::format, true);
  }

  /** A duration in the project's one syntax, zero refused (periods and timeouts that must pass). */
  public static Builder<Duration> positiveDuration(String flag) {
    return new Builder<>(flag, "DURATION", Durations::parsePositive, Durations::format, true);
  }

  public static Builder<Integer> integer(String flag) {
    return new Builder<>(flag, "N", text -> number(() -> Integer.valueOf(text.strip()), "an integer", text),
        String::valueOf, true);
  }

  public static Builder<Long> longInteger(String flag) {
    return new Builder<>(flag, "N", text -> number(() -> Long.valueOf(text.strip()), "an integer", text),
        String::valueOf, true);
  }

  public static Builder<Double> decimal(String flag) {
    return new Builder<>(flag, "X", text -> number(() -> finite(Double.valueOf(text.strip())), "a number", text),
        String::valueOf, true);
  }

  /** A single-precision number (learning rates, momentum: what the trainer computes with). */
  public static Builder<Float> float32(String flag) {
    return new Builder<>(flag, "X", text -> number(() -> finite(Float.valueOf(text.strip())), "a number", text),
        String::valueOf, true);
  }

  public static Builder<String> string(String flag) {
    return new Builder<>(flag, "VALUE", Function.identity(), Function.identity(), false);
  }

  public static Builder<Path> path(String flag) {
    return new Builder<>(flag, "FILE", Path::of, Path::toString, false);
  }

  /** A switch: present means on (no value), unless it is negatable ({@code --no-NAME}) and on by default. */
  public static Builder<Boolean> onOff(String flag) {
    Builder<Boolean> b = new Builder<>(flag, "", Boolean::valueOf, String::valueOf, false);
    b.isSwitch = true;
    b.defaultValue = false;
    return b;
  }

  /** A value of another type, read by {@code parser} (which throws IllegalArgumentException saying what is wrong). */
  public static <T> Builder<T> of(String flag, String paramLabel, Function<String, T> parser, Function<T, String> formatter) {
    return new Builder<>(flag, paramLabel, parser, formatter, true);
  }

  /** The flag, e.g. {@code --round-timeout}. */
  public String flag() {
    return flag;
  }

  /** The flag without its dashes, e.g. {@code round-timeout} (the demo's {@code --party-option} names). */
  public String name() {
    return flag.replaceFirst("^-+", "");
  }

  public String paramLabel() {
    return paramLabel;
  }

  /** The typed default, or null when the option has none (or a default that depends on other options). */
  public T defaultValue() {
    return defaultValue;
  }

  /** The default as a person reads it: the formatted value, or the words given, or null. */
  public String defaultDisplay() {
    String env = environment == null ? null : "$" + environment;
    if (defaultText != null) {
      return env == null ? defaultText : env + ", else " + defaultText;
    }
    if (defaultValue == null || (isSwitch && !(Boolean) defaultValue)) {
      return env;
    }
    String value = isSwitch ? "on" : format(defaultValue);
    return env == null ? value : env + ", else " + value;
  }

  /** What the option does, without its default. */
  public String description() {
    return description;
  }

  /** The description and the default, as --help and the flag reference print it. */
  public String helpText() {
    String shown = defaultDisplay();
    return shown == null ? description : description + " (default: " + shown + ")";
  }

  public boolean repeatable() {
    return repeatable;
  }

  public boolean isSwitch() {
    return isSwitch;
  }

  /** The environment variable that gives the default when set, or null. */
  public String environment() {
    return environment;
  }

  /** True when picocli needs this option's parser (not plain text or a file name). */
  boolean hasOwnParser() {
    return custom;
  }

  /** Parses {@code text}; throws IllegalArgumentException naming this flag and what is accepted. */
  public T parse(String text) {
    try {
      return parser.apply(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
    }
  }

  /** {@code value} written so that {@link #parse} reads it back. */
  public String format(T value) {
    return formatter.apply(value);
  }

  /** The arguments that give this option {@code value}: {@code [--flag, value]}, or {@code [--flag]} for a switch. */
  public List<String> arg(T value) {
    if (isSwitch) {
      return Boolean.TRUE.equals(value) ? List.of(flag) : List.of("--no-" + name());
    }
    return List.of(flag, format(value));
  }

  /** One argument that gives this option {@code value}: {@code --flag=value} (for container args). */
  public String assignment(T value) {
    return flag + "=" + format(value);
  }

  /** True when {@code args} give this option, as {@code --flag value} or {@code --flag=value}. */
  public boolean isIn(List<String> args) {
    return args.stream().anyMatch(a -> a.equals(flag) || a.startsWith(flag + "="));
  }

  /**
   * The same option (flag, type, default, parser) described for another command, e.g. the demo's
   * {@code --round-timeout}, which it passes to its server: the default still lives in one place.
   */
  public ConfigOption<T> withDescription(String otherDescription) {
    Builder<T> b = new Builder<>(flag, paramLabel, parser, formatter, custom);
    b.defaultValue = defaultValue;
    b.defaultText = defaultText;
    b.environment = environment;
    b.repeatable = repeatable;
    b.isSwitch = isSwitch;
    return new ConfigOption<>(b, otherDescription);
  }

  @Override
  public String toString() {
    return flag;
  }

  private static <N> N number(java.util.function.Supplier<N> parse, String what, String text) {
    try {
      return parse.get();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + printable(text) + "' is not " + what);
    }
  }

  private static <N extends Number> N finite(N n) {
    if (!Double.isFinite(n.doubleValue())) {
      throw new NumberFormatException();
    }
    return n;
  }

  static String printable(String value) {
    String cut = value.length() > 64 ? value.substring(0, 64) + "..." : value;
    StringBuilder out = new StringBuilder(cut.length());
    cut.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : "?"));
    return out.toString();
  }

  /** Builds a {@link ConfigOption}; {@link #description} ends it. */
  public static final class Builder<T> {
    private final String flag;
    private String paramLabel;
    private T defaultValue;
    private String defaultText;
    private String environment;
    private boolean repeatable;
    private boolean isSwitch;
    private boolean custom;
    private Function<String, T> parser;
    private final Function<T, String> formatter;

    private Builder(String flag, String paramLabel, Function<String, T> parser, Function<T, String> formatter,
        boolean custom) {
      if (!flag.matches("--[a-z0-9]+(-[a-z0-9]+)*")) {
        throw new IllegalArgumentException("an option's flag is --lower-case-words, not " + flag);
      }
      this.flag = flag;
      this.paramLabel = paramLabel;
      this.parser = parser;
      this.formatter = formatter;
      this.custom = custom;
    }

    /** The value's name in help, e.g. {@code FILE}, {@code HOST:PORT}. */
    public Builder<T> paramLabel(String label) {
      this.paramLabel = label;
      return this;
    }

    /** The default; it must read back through the parser and pass the checks. */
    public Builder<T> defaultValue(T value) {
      this.defaultValue = Objects.requireNonNull(value);
      return this;
    }

    /** No typed default, but these words in help, e.g. {@code --min-parties} or {@code a new temporary directory}. */
    public Builder<T> defaultText(String words) {
      this.defaultText = words;
      return this;
    }

    /** The environment variable that gives the default when it is set. */
    public Builder<T> environment(String variable) {
      this.environment = variable;
      return this;
    }

    /** The option may be given several times (or comma-separated, where the command splits). */
    public Builder<T> repeatable() {
      this.repeatable = true;
      return this;
    }

    /** Refuses a value for which {@code accepted} is false, with "must be {@code requirement}". */
    public Builder<T> check(Predicate<T> accepted, String requirement) {
      Function<String, T> previous = parser;
      this.custom = true;
      this.parser = text -> {
        T value = previous.apply(text);
        if (!accepted.test(value)) {
          throw new IllegalArgumentException("must be " + requirement + ", not '" + printable(text) + "'");
        }
        return value;
      };
      return this;
    }

    /** The option, with what it does (its default is added to help and docs by {@link #helpText}). */
    public ConfigOption<T> description(String text) {
      ConfigOption<T> option = new ConfigOption<>(this, text);
      if (defaultValue != null && !isSwitch) {
        T back = option.parse(option.format(defaultValue)); // fails at class initialisation, so every test sees it
        if (!back.equals(defaultValue)) {
          throw new IllegalStateException(flag + ": the default " + defaultValue + " does not read back");
        }
      }
      return option;
    }
  }
}
