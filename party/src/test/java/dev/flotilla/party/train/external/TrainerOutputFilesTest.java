package dev.flotilla.party.train.external;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.party.train.external.TrainerResult.Action;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command's output files are read only when they are plain files in the round directory (a FIFO: TrainerOutputFilesIT). */
class TrainerOutputFilesTest {
  private static final List<TensorSpec> LAYOUT = List.of(new TensorSpec("w", new long[] {2}));

  @TempDir
  Path dir;

  @Test
  @DisplayName("a result.json that is a symbolic link (here to /dev/zero, which reads forever) is refused naming it")
  void resultSymlinkRefused() throws Exception {
    Path result = Files.createSymbolicLink(dir.resolve("result.json"), Path.of("/dev/zero"));
    assertThatThrownBy(() -> TrainerResult.read(result, Action.DESCRIBE))
        .isInstanceOf(TrainerResult.InvalidOutputException.class)
        .hasMessage(result + " is a symbolic link; the command must write the file itself");
  }

  @Test
  @DisplayName("an update.safetensors that links to a model file elsewhere is refused naming it")
  void updateSymlinkRefused() throws Exception {
    Path elsewhere = Files.createDirectory(dir.resolve("elsewhere")).resolve("model.safetensors");
    Safetensors.write(elsewhere, LAYOUT, new float[][] {{1, 2}}, Map.of());
    Path update = Files.createSymbolicLink(dir.resolve("update.safetensors"), elsewhere);
    assertThatThrownBy(() -> ExternalTrainer.readUpdate(update, LAYOUT))
        .hasMessage(update + " is a symbolic link; the command must write the file itself");
    Files.delete(update);
    Files.copy(elsewhere, update);
    assertThat(ExternalTrainer.readUpdate(update, LAYOUT)).isDeepEqualTo(new float[][] {{1, 2}});
  }
}
