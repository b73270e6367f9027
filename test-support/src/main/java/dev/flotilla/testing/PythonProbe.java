package dev.flotilla.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Whether Debian's python3 can import some modules (asked once per set of modules per JVM). */
public final class PythonProbe {

  /** Debian's interpreter; the default python3 on PATH may be another one without torch. */
  public static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Map<String, Boolean> CACHE = new ConcurrentHashMap<>();

  private PythonProbe() {}

  public static boolean canImport(String... modules) {
    return CACHE.computeIfAbsent(String.join(",", modules), PythonProbe::probe);
  }

  private static boolean probe(String modules) {
    if (!Files.isExecutable(PYTHON)) {
      return false;
    }
    List<String> command = new ArrayList<>(List.of(PYTHON.toString(), "-c", "import " + modules));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
