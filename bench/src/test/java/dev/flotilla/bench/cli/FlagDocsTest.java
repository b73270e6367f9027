package dev.flotilla.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.bench.quality.PartitionCommand;
import dev.flotilla.bench.quality.PartitionOptions;
import dev.flotilla.certs.cli.CertsCommand;
import dev.flotilla.certs.cli.CertsOptions;
import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.cli.FlagDocs;
import dev.flotilla.cli.OptionSet;
import dev.flotilla.controller.ControllerMain;
import dev.flotilla.controller.ControllerOptions;
import dev.flotilla.controller.enroll.EnrollOptions;
import dev.flotilla.demo.DemoCommand;
import dev.flotilla.demo.DemoOptions;
import dev.flotilla.dns.cli.DnsCommand;
import dev.flotilla.dns.cli.DnsOptions;
import dev.flotilla.simulator.SimulateCommand;
import dev.flotilla.simulator.SimulateOptions;
import dev.flotilla.party.EvaluateCommand;
import dev.flotilla.party.EvaluateOptions;
import dev.flotilla.party.PartyCommand;
import dev.flotilla.protocol.options.PartyOptions;
import dev.flotilla.protocol.options.ServerOptions;
import dev.flotilla.server.ServerMain;
import dev.flotilla.server.model.ModelCommand;
import dev.flotilla.server.model.ModelOptions;
import dev.flotilla.server.status.StatusCommand;
import dev.flotilla.server.status.StatusOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The flag reference docs/flags.md is generated from the option sets of every command and sub-command,
 * and those sets are what the commands run with: every flag of theirs is in its set, --help shows the
 * set's default, and a value an option refuses is a usage error naming the flag.
 */
class FlagDocsTest {
  private static final Path DOCS = Path.of("..").toAbsolutePath().normalize().resolve("docs/flags.md");
  /** Flags every command has (picocli's). */
  private static final Set<String> COMMON = Set.of("--help", "--version");

  record Role(OptionSet options, Supplier<CommandLine> command) {}

  static final List<Role> ROLES = List.of(
      new Role(ServerOptions.SET, ServerMain::commandLine),
      new Role(PartyOptions.SET, PartyCommand::commandLine),
      new Role(DemoOptions.SET, DemoCommand::commandLine),
      new Role(ControllerOptions.SET, ControllerMain::commandLine),
      new Role(SimulateOptions.SET, SimulateCommand::commandLine),
      new Role(EvaluateOptions.SET, EvaluateCommand::commandLine),
      new Role(PartitionOptions.SET, PartitionCommand::commandLine),
      new Role(StatusOptions.SET, StatusCommand::commandLine),
      new Role(ModelOptions.INIT, sub(ModelCommand::commandLine, "init")),
      new Role(CertsOptions.INIT_CA, sub(CertsCommand::commandLine, "init-ca")),
      new Role(CertsOptions.ISSUE, sub(CertsCommand::commandLine, "issue")),
      new Role(CertsOptions.CSR, sub(CertsCommand::commandLine, "csr")),
      new Role(CertsOptions.SIGN, sub(CertsCommand::commandLine, "sign")),
      new Role(CertsOptions.RENEW, sub(CertsCommand::commandLine, "renew")),
      new Role(CertsOptions.ENROLL, sub(CertsCommand::commandLine, "enroll")),
      new Role(DnsOptions.RENDER, sub(DnsCommand::commandLine, "render")),
      new Role(DnsOptions.HOSTS, sub(DnsCommand::commandLine, "hosts")),
      new Role(DnsOptions.APPLY, sub(DnsCommand::commandLine, "apply")),
      new Role(EnrollOptions.CREATE, sub(ControllerMain::commandLine, "enroll", "token", "create")),
      new Role(EnrollOptions.REVOKE_TOKEN, sub(ControllerMain::commandLine, "enroll", "token", "revoke")),
      new Role(EnrollOptions.REVOKE, sub(ControllerMain::commandLine, "enroll", "revoke")));

  /** The sub-command at {@code path} of the command line {@code root} makes, configured as the root configures it. */
  private static Supplier<CommandLine> sub(Supplier<CommandLine> root, String... path) {
    return () -> {
      CommandLine cl = root.get();
      for (String name : path) {
        cl = cl.getSubcommands().get(name);
      }
      return cl;
    };
  }

  static Stream<Arguments> roles() {
    return ROLES.stream().map(r -> Arguments.of(r.options().command(), r));
  }

  @Test
  @DisplayName("docs/flags.md is generated from the option sets (regenerate: -Dflotilla.regenerate=true)")
  void docsAreFresh() throws Exception {
    String generated = FlagDocs.markdown(ROLES.stream().map(Role::options).toList());
    if (Boolean.getBoolean("flotilla.regenerate")) {
      Files.createDirectories(DOCS.getParent());
      Files.writeString(DOCS, generated);
    }
    assertThat(Files.exists(DOCS)).as(DOCS + " missing: run this test with -Dflotilla.regenerate=true").isTrue();
    assertThat(Files.readString(DOCS)).as("docs/flags.md is stale: run this test with -Dflotilla.regenerate=true")
        .isEqualTo(generated);
    for (Role role : ROLES) {
      for (ConfigOption<?> option : role.options().options()) {
        assertThat(generated).as(option.flag()).containsAnyOf("| `" + option.flag() + " ", "| `" + option.flag() + "`",
            "| `--[no-]" + option.name() + "`");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("roles")
  @DisplayName("every flag of the command comes from its option set, so the reference documents all of them")
  void everyFlagInTheSet(String name, Role role) {
    for (OptionSpec spec : role.command().get().getCommandSpec().options()) {
      if (!COMMON.contains(spec.longestName())) {
        assertThat(role.options().find(spec.longestName()))
            .as(name + " " + spec.longestName() + " is not in its option set (cli/README.md: How to add an option)")
            .isNotNull();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("roles")
  @DisplayName("--help shows each option's description and default as the option defines them, and picocli applies that default")
  void helpShowsTheDefault(String name, Role role) {
    CommandLine cl = role.command().get();
    String help = cl.getUsageMessage(CommandLine.Help.Ansi.OFF).replaceAll("\\s+", " ");
    for (ConfigOption<?> option : role.options().options()) {
      assertThat(help).as(option.flag()).contains(option.helpText().replaceAll("\\s+", " "));
      OptionSpec spec = cl.getCommandSpec().findOption(option.flag());
      if (option.defaultValue() != null && option.environment() == null) {
        Object applied = option.isSwitch() ? Boolean.valueOf(spec.defaultValue()) : option.parse(spec.defaultValue());
        assertThat(applied).as(option.flag()).isEqualTo(option.defaultValue());
      }
    }
  }

  @Test
  @DisplayName("a number or duration an option cannot read is a usage error (exit 2) whose one line names the flag")
  void badValueNamesTheFlag() {
    int checked = 0;
    for (Role role : ROLES) {
      String name = role.options().command();
      for (ConfigOption<?> option : role.options().options()) {
        if (option.isSwitch() || reads(option, "not-a-number")) {
          continue; // text, a file name: any value is one
        }
        StringWriter err = new StringWriter();
        CommandLine cl = role.command().get();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        assertThat(cl.execute(option.flag(), "not-a-number")).as(name + " " + option.flag()).isEqualTo(ExitCode.USAGE.code());
        assertThat(err.toString()).as(name + " " + option.flag())
            .startsWith(name + ": Invalid value for option '" + option.flag() + "'") // a repeatable one adds its label
            .contains("'not-a-number'")
            .endsWith("(see '" + name + " --help')\n");
        checked++;
      }
    }
    assertThat(checked).as("options with a typed value").isGreaterThan(2 * ROLES.size());
  }

  private static boolean reads(ConfigOption<?> option, String text) {
    try {
      option.parse(text);
      return true;
    } catch (IllegalArgumentException refused) {
      return false;
    }
  }
}
