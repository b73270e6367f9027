package dev.flotilla.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFederationTest {

  /** A checkout whose server and party jars exist (the command lines are built, nothing is started). */
  static FlotillaJars jars(Path root) throws IOException {
    for (String module : List.of("aggregator-server", "party")) {
      Path jar = root.resolve(module).resolve("target").resolve(module + ".jar");
      Files.createDirectories(jar.getParent());
      Files.writeString(jar, "");
    }
    return new FlotillaJars(root);
  }

  private static String valueOf(List<String> args, String flag) {
    int at = args.indexOf(flag);
    assertThat(at).as("%s in %s", flag, args).isNotNegative();
    return args.get(at + 1);
  }

  @Test
  @DisplayName("with an external trainer each party gets --trainer-command and no --model; the server keeps --model")
  void externalTrainer(@TempDir Path root, @TempDir Path dir) throws IOException {
    LocalFederation.Settings settings = new LocalFederation.Settings().model("cnn").partition("iid")
        .trainerCommand("/usr/bin/python3 /x/fashion_mnist.py --threads 1").dataDirectory(Path.of("/data"));
    try (LocalFederation federation = LocalFederation.prepare(settings, jars(root), dir)) {
      List<String> party = federation.partyArgs(1).toList();
      List<String> server = federation.serverArgs().toList();

      assertThat(valueOf(party, "--trainer-command")).isEqualTo("/usr/bin/python3 /x/fashion_mnist.py --threads 1");
      assertThat(party).doesNotContain("--model");
      assertThat(valueOf(party, "--data")).isEqualTo("/data");
      assertThat(valueOf(party, "--partition")).isEqualTo("iid");
      assertThat(valueOf(party, "--partition-index")).isEqualTo("1");
      assertThat(valueOf(server, "--model")).isEqualTo("cnn");
      assertThat(server).doesNotContain("--initial-model");
      // the web view the demo prints: the server's metrics port, on its loopback --bind
      assertThat(valueOf(server, "--bind")).isEqualTo("127.0.0.1");
      assertThat(federation.webView().toString())
          .isEqualTo("http://127.0.0.1:" + valueOf(server, "--metrics-port") + "/");
    }
  }

  @Test
  @DisplayName("with only an initial model file the server gets --initial-model and nobody gets --model")
  void initialModelOnly(@TempDir Path root, @TempDir Path dir) throws IOException {
    LocalFederation.Settings settings = new LocalFederation.Settings().model(null)
        .initialModel(Path.of("/models/net.safetensors")).trainerCommand("train.sh");
    try (LocalFederation federation = LocalFederation.prepare(settings, jars(root), dir)) {
      assertThat(valueOf(federation.serverArgs().toList(), "--initial-model")).isEqualTo("/models/net.safetensors");
      assertThat(federation.serverArgs().toList()).doesNotContain("--model");
      assertThat(federation.partyArgs(0).toList()).doesNotContain("--model");
    }
  }

  @Test
  @DisplayName("the built-in DJL path is unchanged: parties and server both get --model, no trainer command")
  void builtIn(@TempDir Path root, @TempDir Path dir) throws IOException {
    try (LocalFederation federation = LocalFederation.prepare(new LocalFederation.Settings(), jars(root), dir)) {
      assertThat(valueOf(federation.partyArgs(0).toList(), "--model")).isEqualTo("mlp");
      assertThat(valueOf(federation.serverArgs().toList(), "--model")).isEqualTo("mlp");
      assertThat(Collections.frequency(federation.partyArgs(0).toList(), "--trainer-command")).isZero();
    }
  }

  @Test
  @DisplayName("the update encoding reaches the server as --update-encoding (float32 unless chosen)")
  void updateEncoding(@TempDir Path root, @TempDir Path dir) throws IOException {
    FlotillaJars jars = jars(root);
    try (LocalFederation federation = LocalFederation.prepare(new LocalFederation.Settings(), jars, dir)) {
      assertThat(valueOf(federation.serverArgs().toList(), "--update-encoding")).isEqualTo("float32");
    }
    try (LocalFederation federation = LocalFederation.prepare(new LocalFederation.Settings().updateEncoding("bf16"),
        jars, dir.resolve("bf16"))) {
      assertThat(valueOf(federation.serverArgs().toList(), "--update-encoding")).isEqualTo("bf16");
    }
  }

  @Test
  @DisplayName("a federation with neither a built-in model nor an initial model file is refused")
  void noModel(@TempDir Path root, @TempDir Path dir) throws IOException {
    FlotillaJars jars = jars(root);
    assertThatThrownBy(() -> LocalFederation.prepare(new LocalFederation.Settings().model(null), jars, dir))
        .hasMessage("a federation needs a built-in model or an initial model file");
  }
}
