package dev.flotilla.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DemoCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine commandLine = DemoCommand.commandLine();
    commandLine.setOut(new PrintWriter(out));
    commandLine.setErr(new PrintWriter(err));
    return commandLine.execute(args);
  }

  @Test
  @DisplayName("--help lists the demo's flags")
  void help() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("--parties", "--rounds", "--model", "--strategy", "--report", "--data", "--keep-dir");
  }

  @Test
  @DisplayName("a missing dataset is a one-line error naming the Debian package that installs it")
  void missingDataset(@TempDir Path empty) {
    int code = run("--data", empty.toString(), "--rounds", "1");

    assertThat(code).isEqualTo(1);
    assertThat(err.toString().strip())
        .startsWith("flotilla demo: Fashion-MNIST not found in " + empty)
        .contains("dataset-fashion-mnist", "train-images-idx3-ubyte")
        .doesNotContain("\n");
  }

  @Test
  @DisplayName("bad numbers and unknown names are refused before anything starts")
  void badInput() {
    assertThat(run("--parties", "0")).isEqualTo(2);
    assertThat(err.toString()).contains("--parties must be at least 1");
    assertThat(run("--strategy", "fedmagic")).isEqualTo(2);
    assertThat(err.toString()).contains("--strategy must be fedavg, fedprox, fedadam or fedyogi, not fedmagic");
    assertThat(run("--rounds", "many")).isEqualTo(2);
    assertThat(err.toString()).contains("--rounds");
  }
}
