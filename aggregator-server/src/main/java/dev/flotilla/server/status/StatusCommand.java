package dev.flotilla.server.status;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.cli.Cli;
import dev.flotilla.cli.ExitCode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bin/flotilla status}: a job's status file as a readable summary, or checked JSON. */
@Command(name = "flotilla status",
    description = "Print the aggregator's status file (--status-file): the job, round x of y, the parties and who "
        + "is connected, each round's accuracy, late or dropped parties and times (training, evaluation, protocol).")
public final class StatusCommand implements Callable<Integer> {

  /** Where {@code --state-dir DIR} looks: the server writes it there when started with --status-file DIR/status.json. */
  public static final String FILE_IN_STATE_DIR = "status.json";

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "FILE", arity = "0..1", description = "The status file (the server's --status-file).")
  Path file;

  @Option(names = "--state-dir")
  Path stateDir;

  @Option(names = "--json")
  boolean json;

  @Override
  public Integer call() throws IOException {
    Path file = source();
    JobStatus status;
    try {
      status = StatusJson.readFile(file);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "no status file at " + file + (stateDir == null ? ""
          : ": the server writes it there when started with --status-file " + file));
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(json ? StatusJson.write(status) + "\n" : StatusSummary.of(status));
    out.flush();
    return 0;
  }

  /**
   * FILE or --state-dir, exactly one (a usage error otherwise). Not picocli's argument group: its options
   * cannot take the words of {@link StatusOptions#SET}.
   */
  private Path source() {
    if (file != null && stateDir != null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "Error: FILE, --state-dir=DIR are mutually exclusive (specify only one)");
    }
    if (file == null && stateDir == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "Error: Missing required argument (specify one of these): (FILE | --state-dir=DIR)");
    }
    return file != null ? file : stateDir.resolve(FILE_IN_STATE_DIR);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Usage errors exit 2, no status file 4, a file that is not a job status 6, each with one line on stderr. */
  public static CommandLine commandLine() {
    return Cli.commandLine(new StatusCommand(), StatusOptions.SET,
        t -> t instanceof IOException || t instanceof IllegalArgumentException ? ExitCode.BAD_INPUT : null);
  }
}
