package dev.flotilla.cli;

import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The one look of every Flotilla command line: {@code --help}/{@code -h} and {@code --version}/{@code -V}
 * on every command and sub-command, help fitted to the terminal (words are never cut), the exit code
 * table at the end of every help, a usage error as one line naming the command and its help, and every
 * failure as one line with its {@link ExitCode}.
 */
public final class Cli {
  /** Help width when the terminal's is unknown (not a terminal, or {@code stty} absent). */
  static final int DEFAULT_WIDTH = 100;

  private Cli() {}

  /** {@code command} as a configured command line whose failures map to the table by {@link #classify}. */
  public static CommandLine commandLine(Object command) {
    return configure(new CommandLine(command), t -> null);
  }

  /**
   * {@code command} as a configured command line; {@code domain} maps a command's own exceptions to
   * their exit code (null: not one of them), before the common rules of {@link #classify}. A failure the
   * domain knows is printed as its message alone, even with {@link ExitCode#INTERNAL}; only unknown
   * failures get "internal error" and a stack trace.
   */
  public static CommandLine commandLine(Object command, Function<Throwable, ExitCode> domain) {
    return configure(new CommandLine(command), domain);
  }

  /**
   * {@code command} as a configured command line whose options of {@code options} take their description,
   * default and parser from there ({@link OptionSet#bind}); {@code domain} as above.
   */
  public static CommandLine commandLine(Object command, OptionSet options, Function<Throwable, ExitCode> domain) {
    CommandLine cl = new CommandLine(command);
    options.bind(cl.getCommandSpec());
    return configure(cl, domain);
  }

  /**
   * {@code command} and its sub-commands as a configured command line: each set of {@code sets} binds to
   * the command its name names ({@link Cli#displayName}, e.g. "flotilla certs issue"); {@code domain} as above.
   *
   * @throws IllegalStateException when a set names no command of the tree (a typo fails the first test)
   */
  public static CommandLine commandLine(Object command, List<OptionSet> sets, Function<Throwable, ExitCode> domain) {
    CommandLine cl = new CommandLine(command);
    for (OptionSet set : sets) {
      set.bind(named(cl, set.command()).getCommandSpec());
    }
    return configure(cl, domain);
  }

  private static CommandLine named(CommandLine tree, String name) {
    CommandLine found = find(tree, name);
    if (found == null) {
      throw new IllegalStateException("no command " + name + " under " + displayName(tree.getCommandSpec()));
    }
    return found;
  }

  private static CommandLine find(CommandLine tree, String name) {
    if (displayName(tree.getCommandSpec()).equals(name)) {
      return tree;
    }
    for (CommandLine sub : tree.getSubcommands().values()) {
      CommandLine found = sub == tree ? null : find(sub, name);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  /** Configures {@code cl} and all its sub-commands; returns it. */
  public static CommandLine configure(CommandLine cl, Function<Throwable, ExitCode> domain) {
    configureSpecs(cl);
    cl.setParameterExceptionHandler((e, args) -> {
      CommandLine cmd = e.getCommandLine();
      String name = displayName(cmd.getCommandSpec());
      PrintWriter err = cmd.getErr();
      err.println(name + ": " + oneLine(e.getMessage()) + " (see '" + name + " --help')");
      err.flush();
      return ExitCode.USAGE.code();
    });
    cl.setExecutionExceptionHandler((e, cmd, parseResult) -> report(e, cmd, domain));
    return cl;
  }

  private static void configureSpecs(CommandLine cl) {
    CommandSpec spec = cl.getCommandSpec();
    if (spec.optionsMap().get("--help") == null && spec.optionsMap().get("--version") == null) {
      spec.mixinStandardHelpOptions(true);
    } else if (spec.optionsMap().get("--version") == null) {
      spec.addOption(CommandLine.Model.OptionSpec.builder("-V", "--version").versionHelp(true)
          .description("Print version information and exit.").build());
    }
    spec.versionProvider(new FlotillaVersion(spec));
    spec.exitCodeOnInvalidInput(ExitCode.USAGE.code());
    spec.exitCodeOnExecutionException(ExitCode.INTERNAL.code());
    spec.usageMessage()
        .autoWidth(true)
        .width(DEFAULT_WIDTH)
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(ExitCode.helpList());
    java.util.Map<String, CommandLine.IHelpSectionRenderer> sections = new java.util.LinkedHashMap<>();
    spec.usageMessage().sectionMap().forEach((key, section) -> sections.put(key, HelpWrap.wrapping(key, section)));
    spec.usageMessage().sectionMap(sections);
    for (CommandLine sub : cl.getSubcommands().values()) {
      if (sub.getCommandSpec() != spec) {
        configureSpecs(sub);
      }
    }
  }

  /** Configures {@code command} and runs it with {@code args}: the exit code of the table. */
  public static int run(Object command, String... args) {
    return commandLine(command).execute(args);
  }

  /** What {@code cmd} is called in messages and version lines, e.g. "flotilla certs issue". */
  public static String displayName(CommandSpec spec) {
    return spec.qualifiedName();
  }

  /**
   * The exit code of {@code failure}: a {@link CommandFailure} (or a usage error) anywhere in the cause
   * chain decides; else a missing file; else the command's own mapping; else {@link ExitCode#INTERNAL}.
   */
  static ExitCode classify(Throwable failure, Function<Throwable, ExitCode> domain) {
    for (Throwable t : chain(failure)) {
      if (t instanceof CommandFailure f) {
        return f.exitCode();
      }
      if (t instanceof CommandLine.ParameterException) {
        return ExitCode.USAGE;
      }
    }
    for (Throwable t : chain(failure)) {
      if (t instanceof NoSuchFileException || t instanceof FileNotFoundException) {
        return ExitCode.MISSING;
      }
    }
    for (Throwable t : chain(failure)) {
      ExitCode own = domain.apply(t);
      if (own != null) {
        return own;
      }
    }
    return ExitCode.INTERNAL;
  }

  private static int report(Exception e, CommandLine cmd, Function<Throwable, ExitCode> domain) {
    String name = displayName(cmd.getCommandSpec());
    PrintWriter err = cmd.getErr();
    if (e instanceof InterruptedException) {
      err.println(name + ": stopped before it was done");
      err.flush();
      return 130;
    }
    ExitCode code = classify(e, domain);
    boolean known = chain(e).stream().anyMatch(t -> domain.apply(t) != null);
    if (code == ExitCode.INTERNAL && !known) {
      err.println(name + ": internal error: " + oneLine(String.valueOf(e)));
      e.printStackTrace(err);
    } else {
      err.println(name + ": " + oneLine(message(e, domain)));
    }
    err.flush();
    return code.code();
  }

  /** The message of the exception that says what went wrong (wrappers such as Guice's carry it second hand). */
  private static String message(Throwable e, Function<Throwable, ExitCode> domain) {
    for (Throwable t : chain(e)) {
      if (t instanceof CommandFailure || t instanceof CommandLine.ParameterException) {
        return t.getMessage();
      }
    }
    // a domain exception that wraps the missing file says more than the file's name
    for (Throwable t : chain(e)) {
      if (t instanceof NoSuchFileException || t instanceof FileNotFoundException) {
        break;
      }
      if (domain.apply(t) != null && t.getMessage() != null) {
        return t.getMessage();
      }
    }
    for (Throwable t : chain(e)) {
      if (t instanceof NoSuchFileException missing) {
        return missing.getReason() != null ? missing.getReason() : "no such file: " + missing.getFile();
      }
      if (t instanceof FileNotFoundException) {
        return t.getMessage();
      }
    }
    for (Throwable t : chain(e)) {
      if (domain.apply(t) != null && t.getMessage() != null) {
        return t.getMessage();
      }
    }
    return e.getMessage() != null ? e.getMessage() : e.toString();
  }

  private static java.util.List<Throwable> chain(Throwable e) {
    java.util.List<Throwable> chain = new java.util.ArrayList<>();
    for (Throwable t = e; t != null && chain.size() < 32 && !chain.contains(t); t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }

  /** {@code message} on one line (stderr is read by people and by scripts that take the first line). */
  public static String oneLine(String message) {
    return message == null ? "unknown error" : message.replaceAll("\\s*\\R\\s*", " ").trim();
  }

  /**
   * {@code file} if it is a readable regular file; else a failure naming {@code flag}: {@link ExitCode#MISSING}
   * when nothing is there, {@link ExitCode#BAD_INPUT} when it is a directory or not readable.
   */
  public static Path requireFile(String flag, Path file) {
    if (!Files.exists(file)) {
      throw new CommandFailure(ExitCode.MISSING, flag + " " + file + ": no such file");
    }
    if (!Files.isRegularFile(file)) {
      throw new CommandFailure(ExitCode.BAD_INPUT, flag + " " + file + " is not a file");
    }
    if (!Files.isReadable(file)) {
      throw new CommandFailure(ExitCode.BAD_INPUT, flag + " " + file + " is not readable by this user");
    }
    return file;
  }

  /** {@code path} if something is there (a file or a directory); else a {@link ExitCode#MISSING} failure naming {@code flag}. */
  public static Path requireExisting(String flag, Path path) {
    if (!Files.exists(path)) {
      throw new CommandFailure(ExitCode.MISSING, flag + " " + path + ": no such file or directory");
    }
    return path;
  }
}
