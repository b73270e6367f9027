package dev.flotilla.protocol.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.PythonProbe;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a Python script of this package's test resources with Debian's python3 (which has torch). */
final class PythonScripts {

  private PythonScripts() {}

  /** Runs the script with the arguments; asserts exit 0 and returns its output. */
  static String run(Path workDir, String script, String... args) throws IOException, InterruptedException {
    Path file = workDir.resolve(script);
    try (InputStream in = PythonScripts.class.getResourceAsStream(script)) {
      Files.write(file, in.readAllBytes());
    }
    List<String> command = new ArrayList<>(List.of(PythonProbe.PYTHON.toString(), file.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    String output = new String(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("%s exit status; output:%n%s", script, output).isZero();
    return output;
  }
}
