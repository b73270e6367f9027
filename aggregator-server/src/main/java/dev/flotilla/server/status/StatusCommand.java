package dev.flotilla.server.status;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bin/flotilla status}: a job's status file as a readable summary, or checked JSON. */
@Command(name = "status", mixinStandardHelpOptions = true, version = "flotilla status 0.1.0",
    description = "Print the aggregator's status file (--status-file): the job, round x of y, the parties and who "
        + "is connected, each round's accuracy, late or dropped parties and times (training, evaluation, protocol).",
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {"0:printed", "1:no status file, or a file that is not a job status (the reason on stderr)",
        "2:usage error"})
public final class StatusCommand implements Callable<Integer> {

  /** Where {@code --state-dir DIR} looks: the server writes it there when started with --status-file DIR/status.json. */
  public static final String FILE_IN_STATE_DIR = "status.json";

  @Spec
  CommandSpec spec;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Parameters(paramLabel = "FILE", description = "The status file (the server's --status-file).")
    Path file;

    @Option(names = "--state-dir", paramLabel = "DIR",
        description = "The server's --state-dir: reads DIR/" + FILE_IN_STATE_DIR + " (start the server with "
            + "--status-file DIR/" + FILE_IN_STATE_DIR + ").")
    Path stateDir;
  }

  @Option(names = "--json", description = "Print the status as JSON (the file's fields, checked and re-encoded).")
  boolean json;

  @Override
  public Integer call() throws IOException {
    Path file = source.file != null ? source.file : source.stateDir.resolve(FILE_IN_STATE_DIR);
    JobStatus status;
    try {
      status = StatusJson.readFile(file);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "no status file at " + file + (source.stateDir == null ? ""
          : ": the server writes it there when started with --status-file " + file));
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(json ? StatusJson.write(status) + "\n" : StatusSummary.of(status));
    out.flush();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Usage errors exit 2, a missing or refused file 1, each with one line on stderr. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new StatusCommand());
    cl.setParameterExceptionHandler((ex, args) -> {
      CommandLine cmd = ex.getCommandLine();
      cmd.getErr().println("status: " + ex.getMessage() + " (see 'status --help')");
      cmd.getErr().flush();
      return cmd.getCommandSpec().exitCodeOnInvalidInput();
    });
    cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
      String message;
      if (ex instanceof NoSuchFileException missing) {
        message = missing.getReason() != null ? missing.getReason() : "no such file " + missing.getFile();
      } else {
        message = ex instanceof IOException ? ex.getMessage() : ex.toString();
      }
      cmd.getErr().println("status: " + message);
      cmd.getErr().flush();
      return 1;
    });
    return cl;
  }
}
