package dev.flotilla.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Python script kept as a test resource beside a test class, with Debian's python3 (which
 * has torch; see {@link RealServer#PYTORCH}).
 */
public final class PythonScripts {

  private PythonScripts() {}

  /**
   * Copies the resource {@code script} of {@code owner}'s package into workDir and runs it with the
   * arguments.
   *
   * @return its output (stdout and stderr)
   * @throws AssertionError if it exits non-zero or runs longer than 5 minutes, with its output
   */
  public static String run(Class<?> owner, Path workDir, String script, String... args)
      throws IOException, InterruptedException {
    Path file = workDir.resolve(script);
    try (InputStream in = owner.getResourceAsStream(script)) {
      if (in == null) {
        throw new IllegalArgumentException("no resource " + script + " beside " + owner.getName());
      }
      Files.write(file, in.readAllBytes());
    }
    List<String> command = new ArrayList<>(List.of(PythonProbe.PYTHON.toString(), file.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes(); // ends when the process closes its output
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(script + " did not finish in 5 minutes; output:\n" + new String(out, StandardCharsets.UTF_8));
    }
    String output = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new AssertionError(script + " exited " + p.exitValue() + "; output:\n" + output);
    }
    return output;
  }
}
