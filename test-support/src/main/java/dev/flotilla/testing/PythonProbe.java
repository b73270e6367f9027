package dev.flotilla.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Whether {@link RealServer#SYSTEM_PYTHON} can import some modules; asked once per JVM (importing torch takes a second). */
final class PythonProbe {

  private static final Map<List<String>, Boolean> ANSWERS = new ConcurrentHashMap<>();

  private PythonProbe() {}

  static boolean canImport(String... modules) {
    return ANSWERS.computeIfAbsent(List.of(modules), PythonProbe::probe);
  }

  private static boolean probe(List<String> modules) {
    if (!Files.isExecutable(RealServer.SYSTEM_PYTHON)) {
      return false;
    }
    List<String> command = new ArrayList<>(List.of(RealServer.SYSTEM_PYTHON.toString(), "-c", "import " + String.join(", ", modules)));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return false;
      }
      return process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
