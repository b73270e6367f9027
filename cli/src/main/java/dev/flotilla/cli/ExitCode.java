package dev.flotilla.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The exit codes of every Flotilla command, one table for the whole project (the top-level README
 * prints it, every command's --help ends with it). A script can tell what kind of problem stopped a
 * command without reading its message; the message, one line on stderr, says what to do.
 */
public enum ExitCode {
  OK(0, "done"),
  INTERNAL(1, "internal error: a bug or an unexpected failure (the message says where)"),
  USAGE(2, "usage error: an unknown option, a bad value, a missing or conflicting flag"),
  UNREACHABLE(3, "unreachable: the peer (aggregator, API server) could not be reached in time"),
  MISSING(4, "missing: an input file, a data set or a prerequisite is not there (the message names the "
      + "command that provides it)"),
  REFUSED(5, "refused: the peer or a policy said no (unknown party, job full or finished, forbidden, CSR "
      + "outside the signing policy)"),
  BAD_INPUT(6, "bad input: an input is there but unusable (malformed data, PEM or safetensors; a model that "
      + "differs from the job's)"),
  TLS(7, "TLS failure: certificate, key, CA or server name do not fit the peer");

  private final int code;
  private final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  public int code() {
    return code;
  }

  public String meaning() {
    return meaning;
  }

  /** The table as picocli's exit code list: code to meaning, in order. */
  public static Map<String, String> helpList() {
    Map<String, String> list = new LinkedHashMap<>();
    for (ExitCode c : values()) {
      list.put(String.valueOf(c.code), c.meaning);
    }
    return list;
  }

  /** The entry of {@code code}, or {@link #INTERNAL} for a code outside the table. */
  public static ExitCode of(int code) {
    for (ExitCode c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    return INTERNAL;
  }
}
