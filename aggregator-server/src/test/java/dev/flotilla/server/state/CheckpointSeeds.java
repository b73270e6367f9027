package dev.flotilla.server.state;

import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.status.RoundTimes;
import dev.flotilla.server.model.HeapModel;
import dev.flotilla.server.model.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes the seed inputs of {@link CheckpointFuzzTest}: small checkpoints made by
 * {@link CheckpointStore#save} (a model of a few values, so a seed stays under libFuzzer's 4 KiB)
 * and damaged variants. Run after a format change, from the repository root:
 * {@code java -cp aggregator-server/target/test-classes:aggregator-server/target/classes:<test classpath>
 * dev.flotilla.server.state.CheckpointSeeds aggregator-server/src/test/resources}
 */
final class CheckpointSeeds {

  public static void main(String[] args) throws IOException {
    Path inputs = Path.of(args[0], "dev/flotilla/server/state/CheckpointFuzzTestInputs");
    Path work = Files.createTempDirectory("checkpoint-seeds");

    float[][] global = {{0.5f, -1.25f, Float.MIN_VALUE}, {3f}};
    float[][] m = {{0.01f, 0.02f, 0.03f}, {0f}};
    float[][] v = {{1e-8f, 2e-8f, 3e-8f}, {-0f}};
    RoundRecord round = new RoundRecord(1, 2, List.of("alice", "bob"), Map.of("carol", "late"), 300, 0,
        Map.of("accuracy", 0.5, "loss", 1.25), 3.5, 0.01, RoundTimes.UNKNOWN, 1234L);
    List<TensorSpec> layout = List.of(new TensorSpec("w", new long[] {3}), new TensorSpec("steps", new long[] {}, DType.I64));
    Checkpoint fedadam = new Checkpoint("job7", "cnn", layout, "fedadam", 5, 1, 1, new HeapModel(1, layout, global), Map.of("m", m, "v", v),
        List.of(new Checkpoint.PartyRecord("alice", 0, 100), new Checkpoint.PartyRecord("bob", 1, 200)), List.of(round),
        Map.of("alice", Map.of("accuracy", 0.8, "num_samples", 10.0)), 12345, 67890);
    // no layout: as written before layouts were recorded
    Checkpoint fresh = new Checkpoint("job1", "mlp", List.of(), "fedavg", 3, 0, 0, TestModels.of(0, new float[][] {{1f}}), Map.of(), List.of(),
        List.of(), Map.of(), 0, 0);

    byte[] fedadamFile = saved(work.resolve("a"), fedadam);
    byte[] freshFile = saved(work.resolve("b"), fresh);

    Path withChecksum = inputs.resolve("checkpointContentWithValidChecksum");
    write(withChecksum.resolve("fedadam-round-1"), withoutTrailer(fedadamFile));
    write(withChecksum.resolve("fedavg-new-job"), withoutTrailer(freshFile));
    write(withChecksum.resolve("tensor-count-max"), withoutTrailer(CheckpointBytes.header()
        .json(CheckpointBytes.VALID_JSON).integer(Integer.MAX_VALUE).integer(1).withChecksum()));
    write(withChecksum.resolve("misshapen-strategy-state"), withoutTrailer(CheckpointBytes.header()
        .json(CheckpointBytes.VALID_JSON).tensors(new float[] {1}).integer(1).name("m").tensors(new float[] {1, 2})
        .withChecksum()));

    Path asIs = inputs.resolve("checkpointFileAsIs");
    write(asIs.resolve("fedadam-round-1"), fedadamFile);
    write(asIs.resolve("truncated"), Arrays.copyOf(fedadamFile, fedadamFile.length / 2));
    write(asIs.resolve("appended"), Arrays.copyOf(freshFile, freshFile.length + 4));
    write(asIs.resolve("tensor-count-max-wrong-crc"), CheckpointBytes.header().json(CheckpointBytes.VALID_JSON)
        .integer(Integer.MAX_VALUE).integer(1).withWrongChecksum());
  }

  private static byte[] saved(Path dir, Checkpoint checkpoint) throws IOException {
    CheckpointStore store = new CheckpointStore(dir);
    store.save(checkpoint);
    return Files.readAllBytes(store.file());
  }

  private static byte[] withoutTrailer(byte[] file) {
    return Arrays.copyOf(file, file.length - Long.BYTES);
  }

  private static void write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
  }

  private CheckpointSeeds() {}
}
