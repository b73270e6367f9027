package dev.flotilla.party;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.JobPki;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class PartyCommandTest {
  @TempDir Path dir;
  Path ca;
  Path cert;
  Path key;
  Path data;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  @BeforeEach
  void files() throws IOException {
    Path alice = JobPki.create(dir, "flotilla.test", "job1").party("alice");
    ca = alice.resolve("ca.crt");
    cert = alice.resolve("tls.crt");
    key = alice.resolve("tls.key");
    data = Files.createDirectory(dir.resolve("data"));
  }

  int run(String... args) {
    CommandLine commandLine = PartyCommand.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    return commandLine.execute(args);
  }

  List<String> validArgs(String... extra) {
    List<String> args = new ArrayList<>(List.of("--server", "127.0.0.1:8443", "--ca", ca.toString(),
        "--cert", cert.toString(), "--key", key.toString(), "--data", data.toString()));
    args.addAll(List.of(extra));
    return args;
  }

  @Test
  @DisplayName("--help lists every flag of the party contract and the exit codes, and exits 0")
  void help() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("--server=HOST:PORT", "--server-name", "--ca", "--cert", "--key", "--data",
        "--partition", "--partition-index", "--partition-count", "--seed", "--model", "--local-epochs",
        "--batch-size", "--lr", "--momentum", "Exit codes", "dirichlet:ALPHA", "labels:K", "--data-format",
        "--test-data", "--test-fraction", "--label-column", "--classes", "--task", "--input-shape", "--resize",
        "--max-samples", "--eval-samples");
    assertThat(out.toString()).doesNotContain("--name=");
  }

  /** The valid arguments with {@code flag} set to {@code value} (added when absent, removed when value is null). */
  List<String> argsWith(String flag, String value) {
    List<String> args = validArgs();
    int at = args.indexOf(flag);
    if (at >= 0) {
      args.remove(at);
      args.remove(at);
    }
    if (value != null) {
      args.add(flag);
      args.add(value);
    }
    return args;
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', nullValues = "NONE", value = {
      "--server            | NONE                | Missing required option: '--server",
      "--server            | localhost           | must be HOST:PORT",
      "--server            | localhost:70000     | valid port",
      "--partition         | shards              | unknown partition 'shards'",
      "--partition         | dirichlet:          | ALPHA",
      "--partition-index   | 1                   | --partition-index must be in [0, 1)",
      "--partition-count   | 0                   | --partition-count must be at least 1",
      "--model             | resnet              | --model must be a built-in model",
      "--batch-size        | 0                   | --batch-size must be at least 1",
      "--local-epochs      | 0                   | --local-epochs must be at least 1",
      "--momentum          | 1                   | --momentum must be in [0, 1)",
      "--lr                | -0.1                | --lr must be a positive number",
      "--seed              | many                | Invalid value for option '--seed'",
      "--data-format       | parquet             | --data-format must be one of idx, image-folder, csv, numpy, safetensors",
      "--task              | clustering          | --task must be classification or regression",
      "--input-shape       | 2x28x28             | input shape '2x28x28': 2 channels",
      "--input-shape       | 1x28                | input shape '1x28'; expected CxHxW",
      "--resize            | nearest             | --resize must be area or bilinear",
      "--classes           | a,b,a               | --classes names a class twice",
      "--max-samples       | 0                   | --max-samples must be at least 1",
      "--eval-samples      | -5                  | --eval-samples must be at least 1",
      "--test-fraction     | 1                   | --test-fraction must be between 0 and 1",
      "--name              | alice               | Unknown options: '--name'",
  })
  @DisplayName("bad input gives one line on stderr naming the problem, and exit code 2")
  void badInput(String flag, String value, String expected) {
    assertThat(run(argsWith(flag, value).toArray(String[]::new))).isEqualTo(2);
    assertThat(err.toString()).contains(expected);
    assertThat(err.toString().strip().lines()).hasSize(1);
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {
      "--key               | /nonexistent/k.pem  | flotilla party: --key /nonexistent/k.pem: no such file",
      "--ca                | /nonexistent/ca.crt | flotilla party: --ca /nonexistent/ca.crt: no such file",
      "--data              | /nonexistent/data   | flotilla party: --data /nonexistent/data does not exist",
      "--test-data         | /nonexistent/t.csv  | flotilla party: --test-data /nonexistent/t.csv does not exist",
  })
  @DisplayName("a file or data that is not there exits 4 (missing) with one line naming the flag and the path")
  void missingInput(String flag, String value, String expected) {
    assertThat(run(argsWith(flag, value).toArray(String[]::new))).isEqualTo(4);
    assertThat(err.toString()).startsWith(expected);
    assertThat(err.toString().strip().lines()).hasSize(1);
  }

  @Test
  @DisplayName("--ca may name the CA's directory (its ca.crt), as in every command")
  void caDirectory() {
    List<String> args = argsWith("--ca", ca.getParent().toString());
    assertThat(run(args.toArray(String[]::new))).as(err.toString()).isEqualTo(4); // gets as far as the data
    assertThat(err.toString()).contains("data file missing");
  }

  @Test
  @DisplayName("--give-up-after takes the one duration syntax and refuses zero")
  void giveUpAfter() {
    PartyCommand party = new PartyCommand();
    PartyCommand.commandLine(party).parseArgs(validArgs("--give-up-after", "1h30m").toArray(String[]::new));
    assertThat(party.giveUpAfter).isEqualTo(java.time.Duration.ofMinutes(90));
    PartyCommand.commandLine(party).parseArgs(validArgs().toArray(String[]::new));
    assertThat(party.giveUpAfter).isEqualTo(java.time.Duration.ofMinutes(30));
    assertThat(run(validArgs("--give-up-after", "0s").toArray(String[]::new))).isEqualTo(2);
    assertThat(err.toString()).contains("'0s' is zero");
  }

  @Test
  @DisplayName("a data directory without the idx files exits 4 (missing) naming the missing file, before any connection")
  void missingData() {
    assertThat(run(validArgs().toArray(String[]::new))).isEqualTo(4);
    assertThat(err.toString()).contains(data.resolve("train-images-idx3-ubyte.gz").toString()).contains("--data");
  }

  @Test
  @DisplayName("--input-shape must hold as many values as the built-in --model takes")
  void inputShapeFitsModel() {
    List<String> args = validArgs("--model", "cnn", "--input-shape", "3x28x28");
    assertThat(run(args.toArray(String[]::new))).isEqualTo(2);
    assertThat(err.toString()).contains("--input-shape 3x28x28 gives 2352 values per image but --model cnn takes 784");
  }

  @Test
  @DisplayName("a CSV test file with a category the training file lacks exits 6 (bad input) naming file, line, column and value, before any connection")
  void unseenCategoryExitsSix() throws IOException {
    Path train = Files.writeString(dir.resolve("train.csv"), "x,colour,label\n1,red,0\n2,blue,1\n3,red,1\n");
    Path test = Files.writeString(dir.resolve("test.csv"), "x,colour,label\n1,green,0\n");
    List<String> args = argsWith("--data", train.toString());
    args.addAll(List.of("--test-data", test.toString()));
    assertThat(run(args.toArray(String[]::new))).isEqualTo(6);
    assertThat(err.toString().strip()).isEqualTo("flotilla party: " + test
        + " line 2, column 'colour': category 'green' does not occur in the training file " + train
        + " (its categories: [blue, red])");
  }

  @Test
  @DisplayName("string CSV labels without --classes exit 6 (bad input) with a message that asks for the class list")
  void stringLabelsExitThree() throws IOException {
    Path train = Files.writeString(dir.resolve("train.csv"), "x,label\n1,cat\n2,dog\n");
    assertThat(run(argsWith("--data", train.toString()).toArray(String[]::new))).isEqualTo(6);
    assertThat(err.toString()).contains(train + " line 2, column 'label': label 'cat' is not a class index")
        .contains("--classes a,b,c");
  }

  @Test
  @DisplayName("an image folder without --input-shape or a built-in --model exits 6 (bad input) saying how the shape is chosen")
  void imageFolderNeedsShape() throws IOException {
    for (String name : List.of("cat", "dog")) {
      Path folder = Files.createDirectories(dir.resolve("images").resolve(name));
      javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_BYTE_GRAY),
          "png", folder.resolve("a.png").toFile());
    }
    assertThat(run(argsWith("--data", dir.resolve("images").toString()).toArray(String[]::new))).isEqualTo(6);
    assertThat(err.toString()).contains("image folders need the model's input shape before decoding: give "
        + "--input-shape CxHxW (e.g. 1x28x28 or 3x32x32) or a built-in --model");
  }

  @Test
  @DisplayName("a server that stays unreachable past --give-up-after ends the party with exit 3 (unreachable), naming the server and the times")
  void givesUpAfterTheBudget() throws IOException {
    Path train = Files.writeString(dir.resolve("train.csv"), "x,label\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n");
    int port = dev.flotilla.testing.FreePorts.next(); // nothing listens there
    List<String> args = argsWith("--data", train.toString());
    args.set(args.indexOf("--server") + 1, "127.0.0.1:" + port);
    args.addAll(List.of("--give-up-after", "2s", "--model", "mlp:1-4-2"));
    assertThat(run(args.toArray(String[]::new))).as(err.toString()).isEqualTo(3);
    assertThat(err.toString().strip()).startsWith("flotilla party: gave up at ")
        .contains(" at 127.0.0.1:" + port + " (job1.server.flotilla.test) has been unreachable since ")
        .contains("has been unreachable since ")
        .contains("longer than --give-up-after 2s")
        .contains("check that the server runs");
  }
}
