package dev.flotilla.e2e;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static dev.flotilla.testing.RealServer.PYTORCH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.testing.PythonProbe;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.SystemPython;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's external-trainer acceptance: 3 parties (real processes, real mutual TLS) each train
 * through {@code --trainer-command} with the shipped PyTorch example, the job reaches >= 0.80 on
 * Fashion-MNIST, and the model the server exports loads back into PyTorch
 * ({@code load_state_dict(strict=True)}) and scores what the server reported.
 */
@RequiresRealServers({FASHION_MNIST, PYTORCH})
@DisplayName("External trainer (--trainer-command) with the PyTorch example")
class ExternalTrainerAcceptanceIT {

  static final String ARCHITECTURE = "cnn";
  static final int ROUNDS = 3;
  static final List<String> CNN_TENSORS = List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
      "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias");

  /** The example's files, copied: a checkout edited while the federation runs must not change its trainer. */
  static Path copyExample(Path into) throws IOException {
    Path examples = FlotillaJars.locate().root().resolve("examples/pytorch");
    Files.createDirectories(into);
    for (String file : List.of("flotilla_trainer.py", "flotilla_models.py", "fashion_mnist.py")) {
      Files.copy(examples.resolve(file), into.resolve(file));
    }
    try (InputStream script = ExternalTrainerAcceptanceIT.class.getResourceAsStream("evaluate_exported.py")) {
      Files.copy(script, into.resolve("evaluate_exported.py"));
    }
    return into;
  }

  /**
   * The command the parties run: keeps a copy of every round.json it is handed (so the test sees
   * what each party asked for), then runs the example with it.
   */
  static Path recordingTrainer(Path trainer, Path calls) throws IOException {
    Files.createDirectories(calls);
    Path script = trainer.resolve("record-and-train.sh");
    Files.writeString(script, String.join("\n",
        "#!/bin/sh",
        "set -e",
        "cp \"$1\" \"" + calls + "/$(basename \"$(dirname \"$1\")\")-$$.json\"",
        "exec " + PythonProbe.PYTHON + " \"" + trainer.resolve("fashion_mnist.py") + "\" \"$1\"",
        ""));
    return script;
  }

  static List<JsonObject> roundFiles(Path calls) throws IOException {
    try (Stream<Path> files = Files.list(calls)) {
      List<JsonObject> out = new ArrayList<>();
      for (Path file : files.sorted().toList()) {
        out.add(JsonParser.parseString(Files.readString(file)).getAsJsonObject());
      }
      return out;
    }
  }

  @Test
  @DisplayName("3 parties training in PyTorch through --trainer-command reach >= 80% on Fashion-MNIST, and the exported "
      + "safetensors loads into PyTorch strictly and scores the server's reported accuracy (within 0.5 points)")
  void pyTorchTrainerReachesEightyPercentAndExportsAUsableModel(@TempDir Path dir) throws IOException {
    Path trainer = copyExample(dir.resolve("trainer"));
    Path exported = dir.resolve("final.safetensors");
    Path calls = dir.resolve("calls");
    LocalFederation.Settings settings = Federations.settings()
        .model(ARCHITECTURE)
        .partition("iid")
        .rounds(ROUNDS)
        .trainerCommand("/bin/sh " + recordingTrainer(trainer, calls))
        .serverArg("--export", exported.toString());

    JobStatus status;
    try (LocalFederation federation = Federations.start(settings, dir.resolve("federation"))) {
      status = Federations.awaitFinished(federation, Duration.ofMinutes(15));
    }
    System.out.printf("external trainer: final accuracy %s, per round %s%n", status.finalAccuracy(),
        status.accuracyPerRound());

    assertThat(status.roundsCompleted()).isEqualTo(ROUNDS);
    assertThat(status.parties()).containsExactlyInAnyOrder("party-1", "party-2", "party-3");
    assertThat(status.lateOrDroppedParties()).isEmpty();
    assertThat(status.tlsProvider()).isEqualTo("BoringSSL");
    assertThat(status.finalAccuracy()).isNotNull();
    double reported = status.finalAccuracy();
    assertThat(reported).isGreaterThanOrEqualTo(0.80);

    // every party trained in the command, not in DJL: it described its data, trained each round, evaluated the end
    List<JsonObject> rounds = roundFiles(calls);
    for (String party : List.of("party-1", "party-2", "party-3")) {
      List<JsonObject> own = rounds.stream().filter(r -> r.get("party").getAsString().equals(party)).toList();
      assertThat(own).extracting(r -> r.get("action").getAsString()).as(party)
          .contains("describe", "evaluate")
          .filteredOn("train"::equals).hasSizeGreaterThanOrEqualTo(ROUNDS);
      // describe runs before Join, when the job's model is not known yet
      assertThat(own).filteredOn(r -> !r.get("action").getAsString().equals("describe"))
          .extracting(r -> r.get("model").getAsString()).containsOnly(ARCHITECTURE);
      assertThat(own).extracting(r -> r.getAsJsonObject("partition").get("count").getAsInt()).containsOnly(3);
    }

    String output = SystemPython.run(trainer, Duration.ofMinutes(3), trainer.resolve("evaluate_exported.py").toString(),
        exported.toString(), trainer.toString(), RealServer.fashionMnistDirectory().toString(), ARCHITECTURE)
        .requireSuccess();
    JsonObject evaluation = JsonParser.parseString(output.strip().lines().reduce((a, b) -> b).orElseThrow())
        .getAsJsonObject();
    System.out.printf("exported model in PyTorch: accuracy %s, loss %s%n", evaluation.get("accuracy"),
        evaluation.get("loss"));
    Map<String, String> dtypes = evaluation.getAsJsonObject("tensors").entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().getAsString()));

    assertThat(dtypes).containsOnlyKeys(CNN_TENSORS).allSatisfy((name, dtype) -> assertThat(dtype).isEqualTo("torch.float32"));
    assertThat(evaluation.get("samples").getAsInt()).isEqualTo(10_000);
    assertThat(evaluation.get("accuracy").getAsDouble()).as("PyTorch's accuracy of the exported model")
        .isCloseTo(reported, within(0.005));
  }
}
