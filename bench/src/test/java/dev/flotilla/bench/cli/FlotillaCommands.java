package dev.flotilla.bench.cli;

import dev.flotilla.bench.quality.PartitionCommand;
import dev.flotilla.certs.cli.CertsCommand;
import dev.flotilla.cli.Cli;
import dev.flotilla.controller.ControllerMain;
import dev.flotilla.demo.DemoCommand;
import dev.flotilla.dns.cli.DnsCommand;
import dev.flotilla.party.EvaluateCommand;
import dev.flotilla.party.PartyCommand;
import dev.flotilla.server.ServerMain;
import dev.flotilla.server.model.ModelCommand;
import dev.flotilla.server.status.StatusCommand;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Every command of {@code bin/flotilla}: the jars' commands as their mains configure them, and the
 * commands the script runs itself (build, test, cluster, images, completion) as specs, so that the
 * completion script is generated from one tree. The bench module is the one with every command's
 * module on its class path.
 */
final class FlotillaCommands {
  private FlotillaCommands() {}

  /** The jars' commands by their bin/flotilla name; each call makes a fresh command line. */
  static Map<String, Supplier<CommandLine>> jarCommands() {
    Map<String, Supplier<CommandLine>> commands = new LinkedHashMap<>();
    commands.put("demo", DemoCommand::commandLine);
    commands.put("simulate", dev.flotilla.simulator.SimulateCommand::commandLine);
    commands.put("server", ServerMain::commandLine);
    commands.put("party", PartyCommand::commandLine);
    commands.put("certs", CertsCommand::commandLine);
    commands.put("model", ModelCommand::commandLine);
    commands.put("status", StatusCommand::commandLine);
    commands.put("evaluate", EvaluateCommand::commandLine);
    commands.put("partition", PartitionCommand::commandLine);
    commands.put("dns", DnsCommand::commandLine);
    commands.put("controller", ControllerMain::commandLine);
    return commands;
  }

  /** The commands bin/flotilla runs itself, and their sub-commands. */
  static final Map<String, List<String>> SCRIPT_COMMANDS = scriptCommands();

  private static Map<String, List<String>> scriptCommands() {
    Map<String, List<String>> commands = new LinkedHashMap<>();
    commands.put("build", List.of());
    commands.put("test", List.of());
    commands.put("cluster", List.of("up", "down", "status", "kubeconfig", "containerd-up", "ctr", "names", "address"));
    commands.put("images", List.of("build", "import"));
    commands.put("completion", List.of("bash", "zsh"));
    return commands;
  }

  /** All of bin/flotilla as one picocli tree (for completion). */
  static CommandLine tree() {
    CommandLine root = Cli.configure(new CommandLine(CommandSpec.create().name("flotilla")), t -> null);
    jarCommands().forEach((name, command) -> root.addSubcommand(name, command.get()));
    SCRIPT_COMMANDS.forEach((name, subs) -> {
      CommandSpec spec = CommandSpec.create().name(name);
      if (name.equals("build") || name.equals("test")) {
        spec.addPositional(PositionalParamSpec.builder().arity("0..*").paramLabel("MAVEN_ARGS").type(String[].class).build());
      }
      if (name.equals("cluster")) { // one of several named clusters on this machine (cluster.sh --name)
        spec.addOption(OptionSpec.builder("--name").paramLabel("NAME").type(String.class).build());
      }
      CommandLine command = new CommandLine(spec);
      for (String sub : subs) {
        command.addSubcommand(sub, new CommandLine(CommandSpec.create().name(sub)));
      }
      root.addSubcommand(name, Cli.configure(command, t -> null));
    });
    return root;
  }

  /** Each command and sub-command as the arguments that reach it from its jar's root (e.g. [certs, issue]). */
  static List<List<String>> paths(String name, CommandLine root) {
    List<List<String>> paths = new ArrayList<>();
    collect(List.of(name), root, paths);
    return paths;
  }

  private static void collect(List<String> path, CommandLine command, List<List<String>> out) {
    out.add(path);
    command.getSubcommands().forEach((sub, cl) -> {
      if (!sub.equals(cl.getCommandName())) {
        return; // an alias of a sub-command already listed
      }
      List<String> next = new ArrayList<>(path);
      next.add(sub);
      collect(next, cl, out);
    });
  }
}
