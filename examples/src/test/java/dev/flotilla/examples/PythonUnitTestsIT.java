package dev.flotilla.examples;

import static dev.flotilla.testing.RealServer.PYTORCH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.SystemPython;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Runs the Python unit tests of examples/pytorch (the helper's validation paths, the example's data handling). */
@RequiresRealServers(PYTORCH)
class PythonUnitTestsIT {

  private static final Pattern TEST_FUNCTION = Pattern.compile("^\\s+def test_", Pattern.MULTILINE);

  @Test
  @DisplayName("every Python unit test of examples/pytorch runs under Debian's python3 and passes")
  void pythonUnitTestsPass() throws IOException {
    long written = countTestFunctions(PyTorchExample.TESTS);

    ProcessRun.Result result = SystemPython.run(PyTorchExample.DIRECTORY, Duration.ofMinutes(5),
        "-m", "unittest", "discover", "-v", "-s", PyTorchExample.TESTS.toString(), "-t", PyTorchExample.TESTS.toString());

    assertThat(result.exitCode()).as(result.output()).isZero();
    // discovery that silently found fewer tests than were written would pass with exit 0
    assertThat(written).isGreaterThan(0);
    assertThat(result.output()).contains("Ran " + written + " tests").containsPattern("(?m)^OK$");
  }

  private static long countTestFunctions(Path directory) throws IOException {
    long count = 0;
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.filter(f -> f.getFileName().toString().matches("test_.*\\.py")).toList()) {
        count += TEST_FUNCTION.matcher(Files.readString(file)).results().count();
      }
    }
    return count;
  }
}
