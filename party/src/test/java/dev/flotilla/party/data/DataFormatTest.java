package dev.flotilla.party.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Data format detection and the safetensors reader")
class DataFormatTest {
  @TempDir Path dir;

  @Test
  @DisplayName("files are told by extension, directories by what they hold, and an unknown extension asks for --data-format")
  void detection() throws IOException {
    assertThat(DataFormat.detect(Files.writeString(dir.resolve("a.CSV"), "x"))).isEqualTo(DataFormat.CSV);
    assertThat(DataFormat.detect(Files.writeString(dir.resolve("a.npz"), "x"))).isEqualTo(DataFormat.NUMPY);
    assertThat(DataFormat.detect(Files.writeString(dir.resolve("a.safetensors"), "x"))).isEqualTo(DataFormat.SAFETENSORS);
    Path arrays = Files.createDirectories(dir.resolve("arrays"));
    Files.writeString(arrays.resolve("x.npy"), "x");
    assertThat(DataFormat.detect(arrays)).isEqualTo(DataFormat.NUMPY);
    Path folders = Files.createDirectories(dir.resolve("folders/cat"));
    assertThat(DataFormat.detect(folders.getParent())).isEqualTo(DataFormat.IMAGE_FOLDER);
    Path idx = Files.createDirectories(dir.resolve("idx"));
    Files.writeString(idx.resolve(FashionMnist.TRAIN_IMAGES + ".gz"), "x");
    assertThat(DataFormat.detect(idx)).isEqualTo(DataFormat.IDX);
    Path text = Files.writeString(dir.resolve("data.parquet"), "x");
    assertThatThrownBy(() -> DataFormat.detect(text))
        .hasMessageContaining(text + ": cannot tell its format from the name")
        .hasMessageContaining("--data-format");
  }

  @Test
  @DisplayName("--data-format overrides detection: a CSV file named .txt is read as CSV")
  void formatOverride() throws IOException {
    Path file = Files.writeString(dir.resolve("table.txt"), "a,label\n1,0\n2,1\n");
    assertThatThrownBy(() -> DataSets.load(file, null, DataOptions.defaults())).hasMessageContaining("--data-format");
    DataSets.Loaded loaded = DataSets.load(file, null, DataOptions.defaults().withFormat(DataFormat.CSV));
    assertThat(loaded.format()).isEqualTo(DataFormat.CSV);
    assertThat(loaded.train().size()).isEqualTo(2);
    assertThat(loaded.test()).isNull();
  }

  @Test
  @DisplayName("a safetensors file without y is refused naming the file and the tensors it has")
  void safetensorsWithoutLabels() throws IOException {
    Path file = dir.resolve("data.safetensors");
    Safetensors.write(file, List.of(new TensorSpec("x", new long[] {2, 3})), new float[][] {{1, 2, 3, 4, 5, 6}}, Map.of());
    assertThatThrownBy(() -> SafetensorsArrays.read(file, DataOptions.defaults(), null))
        .isInstanceOf(BadDataException.class)
        .hasMessageContaining(file + ": no tensor 'y' (tensors: [x])");
  }

  @Test
  @DisplayName("a safetensors file of the protocol's codec: float y is a regression target")
  void safetensorsRegression() throws IOException {
    Path file = dir.resolve("data.safetensors");
    Safetensors.write(file, List.of(new TensorSpec("x", new long[] {2, 3}), new TensorSpec("y", new long[] {2})),
        new float[][] {{1, 2, 3, 4, 5, 6}, {0.5f, -1.5f}}, Map.of());
    Samples samples = SafetensorsArrays.read(file, DataOptions.defaults(), null).train();
    assertThat(samples.task()).isEqualTo(Task.regression());
    assertThat(samples.label(1)).isEqualTo(-1.5f);
    float[] row = new float[3];
    samples.copyFeatures(1, row, 0);
    assertThat(row).containsExactly(4f, 5f, 6f);
  }

  @Test
  @DisplayName("an image folder's shape comes from a built-in model: cnn 1x28x28, square MLP inputs grey, 3*square RGB")
  void imageShapes() {
    assertThat(ImageShapes.forModel("cnn")).hasValueSatisfying(s -> assertThat(s).containsExactly(1, 28, 28));
    assertThat(ImageShapes.forModel("mlp")).hasValueSatisfying(s -> assertThat(s).containsExactly(1, 28, 28));
    assertThat(ImageShapes.forModel("mlp:3072-100-10")).hasValueSatisfying(s -> assertThat(s).containsExactly(3, 32, 32));
    assertThat(ImageShapes.forModel("mlp:30-16-2")).isEmpty();
  }
}
