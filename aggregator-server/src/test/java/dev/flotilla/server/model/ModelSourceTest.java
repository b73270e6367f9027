package dev.flotilla.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.SafetensorsException;
import dev.flotilla.protocol.model.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelSourceTest {
  @TempDir
  Path dir;

  private Path fileOf(List<TensorSpec> layout, String model) throws Exception {
    float[][] values = layout.stream().map(t -> new float[t.numElements()]).toArray(float[][]::new);
    Path file = dir.resolve("init.safetensors");
    Safetensors.write(file, layout, values, Map.of(Safetensors.MODEL_KEY, model));
    return file;
  }

  @Test
  @DisplayName("an initial model whose flotilla.model names a built-in of another layout is refused at start, naming the difference")
  void builtInNameWithAnotherLayout() throws Exception {
    List<TensorSpec> layout = List.of(new TensorSpec("fc1.weight", new long[] {16, 30}),
        new TensorSpec("fc1.bias", new long[] {16}));
    Path file = fileOf(layout, "mlp:30-16-2");
    assertThatThrownBy(() -> ModelSource.file(file))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("flotilla.model names the built-in 'mlp:30-16-2'")
        .hasMessageContaining("the built-in has 4 tensors but the file has 2");
  }

  @Test
  @DisplayName("a built-in's layout stored in other dtypes keeps its name")
  void builtInInOtherDtypes() throws Exception {
    List<TensorSpec> layout = ModelSpecs.forName("mlp:30-16-2").stream().map(t -> t.withDtype(DType.F16)).toList();
    assertThat(ModelSource.file(fileOf(layout, "mlp:30-16-2")).name()).isEqualTo("mlp:30-16-2");
  }
}
