package dev.flotilla.server.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.server.round.RoundRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {

  @TempDir
  Path dir;

  private Checkpoint sample() {
    float[][] global = ModelSpecs.initialWeights("cnn", 3);
    float[][] m = ModelSpecs.initialWeights("cnn", 4);
    RoundRecord r1 = new RoundRecord(1, 2, List.of("a", "b"), Map.of("c", "dropped"), 300, 0,
        Map.of("accuracy", 0.5, "loss", 1.2), 3.5, 0.01, 1234L);
    return new Checkpoint("job7", "cnn", "fedadam", 5, 1, 1, global, Map.of("m", m, "v", m), List.of(
        new Checkpoint.PartyRecord("a", 0, 100), new Checkpoint.PartyRecord("b", 1, 200)), List.of(r1),
        Map.of("a", Map.of("accuracy", 0.8, "num_samples", 10.0)), 12345, 67890);
  }

  @Test
  @DisplayName("a checkpoint reads back equal: model, strategy state, parties, history, byte totals")
  void roundTrip() throws Exception {
    CheckpointStore store = new CheckpointStore(dir);
    assertThat(store.load()).isEmpty();
    Checkpoint saved = sample();
    store.save(saved);
    Checkpoint loaded = store.load().orElseThrow();
    assertThat(loaded.jobId()).isEqualTo("job7");
    assertThat(loaded.model()).isEqualTo("cnn");
    assertThat(loaded.strategy()).isEqualTo("fedadam");
    assertThat(loaded.roundsCompleted()).isEqualTo(1);
    assertThat(loaded.modelVersion()).isEqualTo(1);
    assertThat(loaded.global()).isDeepEqualTo(saved.global());
    assertThat(loaded.strategyState().get("m")).isDeepEqualTo(saved.strategyState().get("m"));
    assertThat(loaded.parties()).isEqualTo(saved.parties());
    assertThat(loaded.history()).isEqualTo(saved.history());
    assertThat(loaded.finalEvaluations()).isEqualTo(saved.finalEvaluations());
    assertThat(loaded.bytesUp()).isEqualTo(12345);
    assertThat(loaded.bytesDown()).isEqualTo(67890);
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(store.file()); // no temporary file left behind
    }
  }

  @Test
  @DisplayName("a corrupted or truncated checkpoint is reported, never silently replaced by a fresh start")
  void corruption() throws Exception {
    CheckpointStore store = new CheckpointStore(dir);
    store.save(sample());
    byte[] bytes = Files.readAllBytes(store.file());
    bytes[bytes.length / 2] ^= 0x55;
    Files.write(store.file(), bytes);
    assertThatThrownBy(store::load).hasMessageContaining("corrupt");
    Files.write(store.file(), java.util.Arrays.copyOf(bytes, bytes.length / 3));
    assertThatThrownBy(store::load).hasMessageContaining("truncated");
  }
}
