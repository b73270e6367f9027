package dev.flotilla.server.state;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint file that cannot be trusted: corrupt, truncated, oversized, of another format, or
 * holding values no server writes. The message names the file and what is wrong with it; the file
 * is left as it is, for a person to look at.
 */
public final class InvalidCheckpointException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String problem;

  public InvalidCheckpointException(Path file, String problem) {
    this(file, problem, null);
  }

  public InvalidCheckpointException(Path file, String problem, Throwable cause) {
    super("checkpoint " + file + " " + problem, cause);
    this.file = file;
    this.problem = problem;
  }

  /** What is wrong, without the file's name: "is truncated: ...", "is corrupt: ...". */
  public String problem() {
    return problem;
  }

  public Path file() {
    return file;
  }
}
