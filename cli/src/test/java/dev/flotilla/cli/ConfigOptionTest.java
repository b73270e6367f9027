package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@DisplayName("ConfigOption: an option's default, description and parser in one place, bound to picocli")
class ConfigOptionTest {

  static final ConfigOption<Duration> TIMEOUT = ConfigOption.positiveDuration("--timeout")
      .defaultValue(Duration.ofMinutes(5))
      .description("How long to wait.");
  static final ConfigOption<Integer> ROUNDS = ConfigOption.integer("--rounds")
      .check(n -> n >= 1, "at least 1")
      .defaultValue(5)
      .description("Rounds to run, 100% of them.");
  static final ConfigOption<String> NAME = ConfigOption.string("--name").paramLabel("NAME")
      .defaultText("the host's name")
      .description("Who we are.");
  static final ConfigOption<String> TAG = ConfigOption.string("--tag").repeatable()
      .description("A tag | with a pipe.");
  static final ConfigOption<Boolean> ELECT = ConfigOption.onOff("--elect").defaultValue(true)
      .description("Hold a lease.");
  static final OptionSet SET = OptionSet.of("flotilla sample", TIMEOUT, ROUNDS, NAME, TAG, ELECT);

  @Command(name = "flotilla sample")
  static final class Sample implements Runnable {
    @Option(names = "--name") String name;
    @Option(names = "--rounds") int rounds;
    @Option(names = "--timeout") Duration timeout;
    @Option(names = "--tag", split = ",") List<String> tags = new ArrayList<>();
    @Option(names = "--elect", negatable = true, fallbackValue = "true") boolean elect;
    @Option(names = "--verbose", description = "Not in the set.") boolean verbose;

    @Override
    public void run() {}
  }

  private static CommandLine bound(Sample sample, StringWriter err) {
    CommandLine cl = Cli.commandLine(sample, SET, t -> null);
    cl.setErr(new PrintWriter(err, true));
    cl.setOut(new PrintWriter(new StringWriter(), true));
    return cl;
  }

  @Test
  @DisplayName("an omitted option gets the option's typed default; a given one is parsed by its parser")
  void defaultsAndParsing() {
    Sample sample = new Sample();
    assertThat(bound(sample, new StringWriter()).execute()).isZero();
    assertThat(sample.timeout).isEqualTo(Duration.ofMinutes(5));
    assertThat(sample.rounds).isEqualTo(5);
    assertThat(sample.elect).isTrue();
    assertThat(sample.name).isNull();

    Sample given = new Sample();
    assertThat(bound(given, new StringWriter()).execute("--timeout", "PT90S", "--rounds", "7", "--no-elect",
        "--tag", "a,b")).isZero();
    assertThat(given.timeout).isEqualTo(Duration.ofSeconds(90));
    assertThat(given.rounds).isEqualTo(7);
    assertThat(given.elect).isFalse();
    assertThat(given.tags).containsExactly("a", "b");
  }

  @Test
  @DisplayName("--help shows each option's description and its default as the option formats it, in declaration order")
  void help() {
    String help = Cli.commandLine(new Sample(), SET, t -> null).getUsageMessage(CommandLine.Help.Ansi.OFF)
        .replaceAll("\\s+", " ");
    assertThat(help).contains("--timeout=DURATION How long to wait. (default: 5m)")
        .contains("--rounds=N Rounds to run, 100% of them. (default: 5)")
        .contains("--name=NAME Who we are. (default: the host's name)")
        .contains("Hold a lease. (default: on)")
        .contains("--verbose Not in the set.");
    assertThat(help.indexOf("--name")).isLessThan(help.indexOf("--rounds"));
    assertThat(help.indexOf("--rounds")).isLessThan(help.indexOf("--timeout"));
  }

  @Test
  @DisplayName("a bad value is a usage error (exit 2) whose one line names the flag and what is accepted")
  void badValue() {
    StringWriter err = new StringWriter();
    assertThat(bound(new Sample(), err).execute("--rounds", "0")).isEqualTo(ExitCode.USAGE.code());
    assertThat(err.toString().strip()).isEqualTo("flotilla sample: Invalid value for option '--rounds': must be at "
        + "least 1, not '0' (see 'flotilla sample --help')");

    StringWriter err2 = new StringWriter();
    assertThat(bound(new Sample(), err2).execute("--timeout", "0s")).isEqualTo(ExitCode.USAGE.code());
    assertThat(err2.toString()).contains("option '--timeout'").contains("zero");

    StringWriter err3 = new StringWriter();
    assertThat(bound(new Sample(), err3).execute("--rounds", "many")).isEqualTo(ExitCode.USAGE.code());
    assertThat(err3.toString()).contains("option '--rounds': 'many' is not an integer");
  }

  @Command(name = "flotilla tree", subcommands = Sample.class)
  static final class Tree implements Runnable {
    @Option(names = "--rounds") int rounds;

    @Override
    public void run() {}
  }

  static final OptionSet SUB = OptionSet.of("flotilla tree flotilla sample", TIMEOUT, ROUNDS, NAME, TAG, ELECT);
  static final OptionSet TOP = OptionSet.of("flotilla tree",
      ConfigOption.integer("--rounds").defaultValue(7).description("The tree's own rounds."));

  @Test
  @DisplayName("each set binds to the sub-command it names; a set naming no command fails at once")
  void subCommands() {
    Tree tree = new Tree();
    CommandLine cl = Cli.commandLine(tree, List.of(TOP, SUB), t -> null);
    CommandLine sample = cl.getSubcommands().get("flotilla sample");
    assertThat(sample.getUsageMessage(CommandLine.Help.Ansi.OFF)).contains("Rounds to run, 100% of them.");
    assertThat(cl.getUsageMessage(CommandLine.Help.Ansi.OFF)).contains("The tree's own rounds.")
        .doesNotContain("Rounds to run");
    assertThat(cl.execute("flotilla sample", "--rounds", "3")).isZero();
    assertThat(tree.rounds).isEqualTo(7);
    Sample bound = sample.getCommand();
    assertThat(bound.rounds).isEqualTo(3);
    assertThat(bound.timeout).isEqualTo(Duration.ofMinutes(5));
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("flotilla sample", "--timeout", "soon")).isEqualTo(ExitCode.USAGE.code());
    assertThat(err.toString()).startsWith("flotilla tree flotilla sample: Invalid value for option '--timeout'");
    OptionSet nowhere = OptionSet.of("flotilla tree nothing", TIMEOUT);
    assertThatThrownBy(() -> Cli.commandLine(new Tree(), List.of(nowhere), t -> null))
        .isInstanceOf(IllegalStateException.class).hasMessage("no command flotilla tree nothing under flotilla tree");
  }

  @Test
  @DisplayName("an option of the set that the command does not declare fails at once, naming it")
  void undeclared() {
    OptionSet withTypo = SET.with(ConfigOption.integer("--roundz").description("typo"));
    assertThatThrownBy(() -> Cli.commandLine(new Sample(), withTypo, t -> null))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("[--roundz]");
  }

  @Test
  @DisplayName("the option writes the arguments that give it a value to another process, which parses them back")
  void arguments() {
    assertThat(TIMEOUT.arg(Duration.ofSeconds(90))).containsExactly("--timeout", "1m30s");
    assertThat(TIMEOUT.assignment(Duration.ofSeconds(90))).isEqualTo("--timeout=1m30s");
    assertThat(TIMEOUT.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(ELECT.arg(false)).containsExactly("--no-elect");
    assertThat(TIMEOUT.isIn(List.of("--timeout=5s"))).isTrue();
    assertThat(TIMEOUT.isIn(List.of("--timeouts", "5s"))).isFalse();
    assertThat(ROUNDS.name()).isEqualTo("rounds");
    assertThatThrownBy(() -> ROUNDS.parse("-1")).hasMessage("--rounds: must be at least 1, not '-1'");
  }

  @Test
  @DisplayName("a default the option's own checks refuse, or a flag that is not --lower-case, fails where it is defined")
  void definitionChecked() {
    assertThatThrownBy(() -> ConfigOption.integer("--rounds").check(n -> n >= 1, "at least 1").defaultValue(0)
        .description("x")).hasMessageContaining("must be at least 1");
    assertThatThrownBy(() -> ConfigOption.integer("-r")).hasMessageContaining("--lower-case-words");
  }

  @Test
  @DisplayName("withDescription keeps flag, default and parser: another command's words, the same default")
  void withDescription() {
    ConfigOption<Duration> other = TIMEOUT.withDescription("The server's --timeout.");
    assertThat(other.defaultValue()).isEqualTo(TIMEOUT.defaultValue());
    assertThat(other.helpText()).isEqualTo("The server's --timeout. (default: 5m)");
    assertThatThrownBy(() -> other.parse("0")).hasMessageContaining("zero");
  }

  @Test
  @DisplayName("the flag reference has a row per option with its value, default and description, pipes escaped")
  void docs() {
    String md = FlagDocs.section(SET);
    assertThat(md).startsWith("## flotilla sample\n\n| Flag | Default | Description |\n|---|---|---|\n")
        .contains("| `--timeout DURATION` | 5m | How long to wait. |\n")
        .contains("| `--name NAME` | the host's name | Who we are. |\n")
        .contains("| `--tag VALUE` |  | A tag \\| with a pipe. Repeatable. |\n")
        .contains("| `--[no-]elect` | on | Hold a lease. |\n");
    assertThat(FlagDocs.markdown(List.of(SET))).contains("- [flotilla sample](#flotilla-sample)\n");
  }
}
