package dev.flotilla.certs.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the certs command line in-process with captured stdout and stderr. */
record CliRun(int exitCode, String out, String err) {
  static CliRun certs(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = CertsCommand.commandLine()
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }

  /** Paths as strings, for building argument lists. */
  static String s(java.nio.file.Path p) {
    return p.toString();
  }
}
