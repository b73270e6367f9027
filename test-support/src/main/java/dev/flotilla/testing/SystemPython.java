package dev.flotilla.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs {@link PythonProbe#PYTHON} (Debian's, with python3-torch) and returns its exit code and output. */
public final class SystemPython {

  private SystemPython() {}

  /**
   * Runs {@code python3 args...} in {@code directory}, one torch thread (tests share the cores);
   * the process is killed after {@code timeout}.
   */
  public static ProcessRun.Result run(Path directory, Duration timeout, String... args) {
    List<String> command = new ArrayList<>();
    command.add(PythonProbe.PYTHON.toString());
    command.addAll(List.of(args));
    return ProcessRun.run(directory, timeout, Map.of("OMP_NUM_THREADS", "1", "PYTHONDONTWRITEBYTECODE", "1"), command);
  }
}
