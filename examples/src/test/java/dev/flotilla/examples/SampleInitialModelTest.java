package dev.flotilla.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The initial model shipped in config/samples/flotilla-tabular-model.yaml (a ConfigMap's binaryData)
 * is a safetensors file the server takes: the built-in mlp:30-16-2 layout, named in its metadata.
 */
class SampleInitialModelTest {

  private static final Path SAMPLE = Path.of("..", "config", "samples", "flotilla-tabular/model.yaml");
  private static final Pattern BINARY_ENTRY = Pattern.compile("(?m)^  model\\.safetensors: ([A-Za-z0-9+/=]+)$");

  @Test
  @DisplayName("the tabular sample's ConfigMap holds the built-in mlp:30-16-2 as safetensors, named in its metadata, with the server's seed-0 weights")
  void configMapHoldsTheBuiltInLayout(@TempDir Path dir) throws IOException {
    Matcher entry = BINARY_ENTRY.matcher(Files.readString(SAMPLE));
    assertThat(entry.find()).as("binaryData model.safetensors in %s", SAMPLE).isTrue();
    Path file = Files.write(dir.resolve("model.safetensors"), Base64.getDecoder().decode(entry.group(1)));

    ModelFile model = Safetensors.read(file);

    assertThat(model.model()).contains("mlp:30-16-2");
    assertThat(model.layout())
        .containsExactlyElementsOf(ModelSpecs.forName("mlp:30-16-2"));
    // made by `bin/flotilla model init --model mlp:30-16-2 --seed 0`: the server's own version 0
    assertThat(model.metadata()).containsEntry("seed", "0");
    assertThat(model.values()).isDeepEqualTo(ModelSpecs.initialWeights("mlp:30-16-2", 0));
    assertThat(Files.size(file)).as("a ConfigMap holds at most 1 MiB").isLessThan(64 * 1024);
  }
}
