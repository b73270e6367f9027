package dev.flotilla.server.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.status.RoundTimes;
import dev.flotilla.server.model.FileModel;
import dev.flotilla.server.model.HeapModel;
import dev.flotilla.server.model.TestModels;
import dev.flotilla.server.privacy.PrivacyBudget;
import dev.flotilla.server.privacy.PrivacyLedger;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {

  @TempDir
  Path dir;

  private Checkpoint sample() {
    float[][] global = ModelSpecs.initialWeights("cnn", 3);
    float[][] m = ModelSpecs.initialWeights("cnn", 4);
    RoundRecord r1 = new RoundRecord(1, 2, List.of("a", "b"), Map.of("c", "dropped"), 300, 0,
        Map.of("accuracy", 0.5, "loss", 1.2), 3.5, 0.01, RoundTimes.UNKNOWN, 1234L);
    return new Checkpoint("job7", "cnn", ModelSpecs.forName("cnn"), "fedadam", 5, 1, 1, new HeapModel(1, ModelSpecs.forName("cnn"), global), Map.of("m", m, "v", m), List.of(
        new Checkpoint.PartyRecord("a", 0, 100), new Checkpoint.PartyRecord("b", 1, 200)), List.of(r1),
        Map.of("a", Map.of("accuracy", 0.8, "num_samples", 10.0)), 12345, 67890);
  }

  private Checkpoint withHistory(List<RoundRecord> history) {
    Checkpoint c = sample();
    return new Checkpoint(c.jobId(), c.model(), c.layout(), c.strategy(), c.roundsTotal(), history.size(),
        c.modelVersion(), c.global(), c.strategyState(), c.parties(), history, c.finalEvaluations(), c.bytesUp(),
        c.bytesDown());
  }

  private static RoundRecord record(int round, String party) {
    return new RoundRecord(round, 1, List.of(party), Map.of(), 10L * round, round - 1, Map.of("loss", 1.0 / round),
        0.25 * round, 0.001, new RoundTimes(0.1 * round, 0.01, 0.2), 1000L + round);
  }

  @Test
  @DisplayName("each save holds the whole history: records serialized by an earlier save are written again unchanged, "
      + "and a store given another history (a restart, another job) writes that one")
  void historyAcrossSaves() throws Exception {
    CheckpointStore store = new CheckpointStore(dir);
    RoundRecord r1 = record(1, "a");
    RoundRecord r2 = record(2, "b");
    store.save(withHistory(List.of(r1)));
    assertThat(store.load().orElseThrow().history()).containsExactly(r1);
    store.save(withHistory(List.of(r1, r2)));
    assertThat(store.load().orElseThrow().history()).containsExactly(r1, r2);
    RoundRecord other = record(1, "z");
    store.save(withHistory(List.of(other, r2)));
    assertThat(store.load().orElseThrow().history()).containsExactly(other, r2);
    store.save(withHistory(List.of()));
    assertThat(store.load().orElseThrow().history()).isEmpty();
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
    assertThat(loaded.layout()).isEqualTo(ModelSpecs.forName("cnn"));
    assertThat(loaded.strategy()).isEqualTo("fedadam");
    assertThat(loaded.roundsCompleted()).isEqualTo(1);
    assertThat(loaded.modelVersion()).isEqualTo(1);
    assertThat(TestModels.values(loaded.global())).isDeepEqualTo(TestModels.values(saved.global()));
    assertThat(loaded.global().specs()).isEqualTo(ModelSpecs.forName("cnn"));
    assertThat(loaded.global().version()).isEqualTo(1);
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
  @DisplayName("a loaded checkpoint's model is read from its file, and still reads the same once a newer checkpoint replaced it")
  void modelReadFromTheFile() throws Exception {
    CheckpointStore store = new CheckpointStore(dir);
    Checkpoint first = sample();
    store.save(first);
    Checkpoint loaded = store.load().orElseThrow();
    assertThat(loaded.global()).isInstanceOf(FileModel.class);
    store.save(new Checkpoint("job7", "cnn", ModelSpecs.forName("cnn"), "fedadam", 5, 2, 2,
        new HeapModel(2, ModelSpecs.forName("cnn"), ModelSpecs.initialWeights("cnn", 9)), first.strategyState(),
        first.parties(), first.history(), first.finalEvaluations(), 1, 2));
    assertThat(TestModels.values(loaded.global())).isDeepEqualTo(TestModels.values(first.global()));
    assertThat(TestModels.values(store.load().orElseThrow().global())).isDeepEqualTo(ModelSpecs.initialWeights("cnn", 9));
    ((FileModel) loaded.global()).close();
  }

  @Test
  @DisplayName("the layout (names, shapes, dtypes) is recorded; one that disagrees with the tensors is refused as corrupt")
  void layout() throws Exception {
    CheckpointStore store = new CheckpointStore(dir);
    List<TensorSpec> layout = List.of(new TensorSpec("conv.weight", new long[] {2, 1, 2}, DType.BF16),
        new TensorSpec("bn.num_batches_tracked", new long[] {}, DType.I64));
    Checkpoint c = sample();
    store.save(new Checkpoint("job7", "", layout, "fedavg", 5, 1, 1, TestModels.of(1, new float[][] {{1, 2, 3, 4}, {7}}), Map.of(),
        c.parties(), c.history(), c.finalEvaluations(), 1, 2));
    assertThat(store.load().orElseThrow().layout()).isEqualTo(layout);
    assertThat(store.load().orElseThrow().model()).isEmpty();

    store.save(new Checkpoint("job7", "", layout, "fedavg", 5, 1, 1, TestModels.of(1, new float[][] {{1, 2, 3}, {7}}), Map.of(),
        c.parties(), c.history(), c.finalEvaluations(), 1, 2));
    assertThatThrownBy(store::load).isInstanceOf(InvalidCheckpointException.class).hasMessage("checkpoint "
        + store.file() + " is corrupt: its layout gives tensor 'conv.weight' shape [2, 1, 2] (4 values) but the global "
        + "model's tensor 0 has 3");
    store.save(new Checkpoint("job7", "", layout, "fedavg", 5, 1, 1, TestModels.of(1, new float[][] {{1, 2, 3, 4}}), Map.of(),
        c.parties(), c.history(), c.finalEvaluations(), 1, 2));
    assertThatThrownBy(store::load).isInstanceOf(InvalidCheckpointException.class)
        .hasMessageEndingWith("is corrupt: its layout lists 2 tensors but the global model has 1");
  }

  @Test
  @DisplayName("a DP job's privacy ledger (budget, delta, the settings of each run of rounds) reads back equal; a "
      + "checkpoint without one reads back with none")
  void privacyLedger() throws Exception {
    CheckpointStore store = new CheckpointStore(dir);
    PrivacyBudget loud = new PrivacyBudget(8, 1e-5, 1.0, 2.0, 0.5);
    PrivacyBudget quiet = new PrivacyBudget(8, 1e-5, 0.5, 0.8, 0.25);
    PrivacyLedger ledger = PrivacyLedger.empty(loud).charged(loud).charged(quiet).charged(quiet);
    Checkpoint c = sample();
    store.save(new Checkpoint(c.jobId(), c.model(), c.layout(), "dp-fedavg", 5, 3, 3, c.global(), Map.of(), c.parties(),
        List.of(), c.finalEvaluations(), 1, 2, ledger));
    Checkpoint loaded = store.load().orElseThrow();
    assertThat(loaded.privacy()).isEqualTo(ledger);
    assertThat(loaded.privacy().runs()).containsExactly(new PrivacyLedger.Run(1, 2.0, 0.5, 1.0),
        new PrivacyLedger.Run(2, 0.8, 0.25, 0.5));
    assertThat(loaded.privacy().epsilon()).isEqualTo(ledger.epsilon());
    store.save(sample());
    assertThat(store.load().orElseThrow().privacy()).isNull();
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

  @Nested
  @DisplayName("a damaged or hostile checkpoint file")
  class Hostile {

    private static final float[] ONE = {1f};

    /** Writes bytes as the checkpoint of a new state directory and returns that directory. */
    private Path stateDir(String name, byte[] bytes) throws IOException {
      Path stateDir = Files.createDirectories(dir.resolve(name));
      Files.write(stateDir.resolve(CheckpointStore.FILE_NAME), bytes);
      return stateDir;
    }

    private String refusal(Path stateDir) {
      CheckpointStore store = new CheckpointStore(stateDir);
      Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(store::load);
      assertThat(thrown).as("load() of " + stateDir.getFileName()).isInstanceOf(IOException.class);
      assertThat(thrown.getMessage()).contains(store.file().toString());
      return thrown.getMessage();
    }

    @Test
    @DisplayName("reading a file of N bytes allocates at most about N bytes, whatever its count fields claim")
    void allocationBoundedByTheFile() throws Exception {
      CheckpointStore valid = new CheckpointStore(dir);
      valid.save(sample());
      valid.load(); // warm up: class loading and Gson's adapters are not the file's doing
      com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      Map<String, byte[]> files = new LinkedHashMap<>();
      // 2^26 tensors would be a 256 MiB array of references
      files.put("count-2^26", CheckpointBytes.header().json(CheckpointBytes.VALID_JSON).integer(1 << 26).integer(1)
          .withWrongChecksum());
      files.put("count-2^26-valid-crc", CheckpointBytes.header().json(CheckpointBytes.VALID_JSON).integer(1 << 26)
          .integer(1).withChecksum());
      // 2^28 values would be a 1 GiB float array
      files.put("values-2^28", CheckpointBytes.header().json(CheckpointBytes.VALID_JSON).integer(1).integer(1 << 28)
          .integer(0).withChecksum());
      files.put("metadata-2^30", CheckpointBytes.header().integer(1 << 30).integer(0).integer(0).withChecksum());
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        Path stateDir = stateDir(file.getKey(), file.getValue());
        long before = threads.getCurrentThreadAllocatedBytes();
        String message = refusal(stateDir);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as(file.getKey() + " (" + file.getValue().length + " bytes): " + message)
            .isLessThan(16L * file.getValue().length + (1 << 20));
      }
      // a valid checkpoint of a 4 MiB model: its values are allocated once, never a second copy of the file
      float[][] big = {new float[1 << 20], {1, 2, 3}};
      Checkpoint c = sample();
      new CheckpointStore(dir.resolve("big")).save(new Checkpoint(c.jobId(), c.model(), List.of(), c.strategy(), c.roundsTotal(),
          c.roundsCompleted(), c.modelVersion(), TestModels.of(c.modelVersion(), big), Map.of(), c.parties(), c.history(), c.finalEvaluations(), 1, 2));
      long size = Files.size(dir.resolve("big").resolve(CheckpointStore.FILE_NAME));
      long before = threads.getCurrentThreadAllocatedBytes();
      Checkpoint loaded = new CheckpointStore(dir.resolve("big")).load().orElseThrow();
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      assertThat(TestModels.values(loaded.global())).isDeepEqualTo(big);
      assertThat(allocated).as("allocated to load a %d-byte checkpoint", size).isLessThan(size + (1 << 20));
    }

    @Test
    @DisplayName("bytes after the checksum, or between the content and the checksum, are refused as oversized")
    void oversized() throws Exception {
      byte[] valid = CheckpointBytes.withModel(CheckpointBytes.VALID_JSON, ONE).withChecksum();
      byte[] appended = java.util.Arrays.copyOf(valid, valid.length + 5);
      assertThat(refusal(stateDir("appended", appended))).contains("is oversized: 5 bytes follow the strategy state");
      byte[] padded = CheckpointBytes.withModel(CheckpointBytes.VALID_JSON, ONE).raw(new byte[3]).withChecksum();
      assertThat(refusal(stateDir("padded", padded))).contains("is oversized: 3 bytes follow the strategy state");
    }

    @Test
    @DisplayName("a file cut anywhere is refused naming the file, from an empty file to one missing its last byte")
    void truncatedAnywhere() throws Exception {
      CheckpointStore store = new CheckpointStore(dir);
      store.save(sample());
      byte[] valid = Files.readAllBytes(store.file());
      for (int keep : new int[] {0, 5, 13, 16, 20, 200, valid.length / 2, valid.length - 8, valid.length - 1}) {
        String message = refusal(stateDir("cut-" + keep, java.util.Arrays.copyOf(valid, keep)));
        assertThat(message).as("cut to %d bytes", keep).contains(keep == 0 ? "is empty" : "truncated");
      }
    }

    @Test
    @DisplayName("metadata a server never writes is refused even under a valid checksum: not JSON, missing fields, "
        + "null or duplicate parties, incomplete rounds, negative byte totals, text the next save could not write back (lone surrogates)")
    void invalidMetadata() throws Exception {
      String[][] cases = {
          {"not-json", "{\"job_id\": [", "is not the expected JSON"},
          {"wrong-type", "{\"job_id\":\"j\",\"model\":\"cnn\",\"strategy\":\"fedavg\",\"parties\":5}", "is not the expected JSON"},
          {"null", "null", "is empty"},
          {"no-job", "{\"model\":\"cnn\",\"strategy\":\"fedavg\"}", "lacks job_id"},
          {"null-party", CheckpointBytes.VALID_JSON.replace("[{\"name\":\"a\",\"index\":0,\"num_samples\":100}]", "[null]"),
              "incomplete or negative party"},
          {"duplicate-party", CheckpointBytes.VALID_JSON.replace("[{\"name\":\"a\",\"index\":0,\"num_samples\":100}]",
              "[{\"name\":\"a\",\"index\":0},{\"name\":\"a\",\"index\":1}]"), "holds party 'a'"},
          {"negative-round", CheckpointBytes.VALID_JSON.replace("\"rounds_completed\":1", "\"rounds_completed\":-1"),
              "negative count"},
          {"lone-surrogate", CheckpointBytes.VALID_JSON.replace("\"name\":\"a\"", "\"name\":\"a\\ud800\""),
              "not valid Unicode"},
          {"round-without-metrics", CheckpointBytes.VALID_JSON.replace("\"history\":[]", "\"history\":[{\"round\":1,\"parties\":[]}]"),
              "incomplete round record"},
          {"negative-byte-total", CheckpointBytes.VALID_JSON.replace("\"history\":[]", "\"history\":[{\"round\":1,"
              + "\"parties\":[],\"late_or_dropped\":{},\"metrics\":{},\"bytes_up_total\":-5}]"),
              "negative byte total in round record 1"},
          {"ledger-without-runs", CheckpointBytes.VALID_JSON.replace("\"history\":[]",
              "\"history\":[],\"privacy\":{\"epsilon_budget\":4,\"delta\":1e-5}"), "incomplete privacy ledger"},
          {"ledger-of-other-rounds", CheckpointBytes.VALID_JSON.replace("\"history\":[]", "\"history\":[],"
              + "\"privacy\":{\"epsilon_budget\":4,\"delta\":1e-5,\"runs\":[{\"rounds\":2,\"noise_multiplier\":1,"
              + "\"sampling_rate\":1,\"clip_norm\":1}]}"), "charges 2 rounds to its privacy ledger but completed 1"},
          {"ledger-empty-run", CheckpointBytes.VALID_JSON.replace("\"history\":[]", "\"history\":[],"
              + "\"privacy\":{\"epsilon_budget\":4,\"delta\":1e-5,\"runs\":[{\"rounds\":0,\"noise_multiplier\":1,"
              + "\"sampling_rate\":1,\"clip_norm\":1},{\"rounds\":1,\"noise_multiplier\":1,"
              + "\"sampling_rate\":1,\"clip_norm\":1}]}"), "privacy ledger run of 0 rounds"},
          {"ledger-without-noise", CheckpointBytes.VALID_JSON.replace("\"history\":[]", "\"history\":[],"
              + "\"privacy\":{\"epsilon_budget\":4,\"delta\":1e-5,\"runs\":[{\"rounds\":1,"
              + "\"sampling_rate\":1,\"clip_norm\":1}]}"),
              "privacy settings no server accepts: --dp-noise-multiplier must be in [0.01, 1000], got 0.0"},
          {"ledger-huge-delta", CheckpointBytes.VALID_JSON.replace("\"history\":[]", "\"history\":[],"
              + "\"privacy\":{\"epsilon_budget\":4,\"delta\":0.5,\"runs\":[{\"rounds\":1,\"noise_multiplier\":1,"
              + "\"sampling_rate\":1,\"clip_norm\":1}]}"), "--dp-delta must be in (0, 0.1]"},
      };
      for (String[] c : cases) {
        String message = refusal(stateDir(c[0], CheckpointBytes.withModel(c[1], ONE).withChecksum()));
        assertThat(message).as(c[0]).contains("is corrupt: its metadata").contains(c[2]);
      }
    }

    @Test
    @DisplayName("strategy state not shaped like the global model, or named twice, is refused")
    void strategyStateShape() throws Exception {
      byte[] misshapen = CheckpointBytes.header().json(CheckpointBytes.VALID_JSON).tensors(ONE).integer(1).name("m")
          .tensors(new float[] {1, 2}).withChecksum();
      assertThat(refusal(stateDir("misshapen", misshapen))).contains("strategy state 'm' is not shaped like the global model");
      byte[] twice = CheckpointBytes.header().json(CheckpointBytes.VALID_JSON).tensors(ONE).integer(2).name("m").tensors(ONE)
          .name("m").tensors(ONE).withChecksum();
      assertThat(refusal(stateDir("twice", twice))).contains("holds strategy state 'm' twice");
    }

    @Test
    @DisplayName("another format version, another file type, a directory or a dangling link are refused, never read as 'no checkpoint'")
    void notACheckpoint() throws Exception {
      byte[] v2 = new CheckpointBytes().raw("FLOTILLA-CKPT".getBytes(StandardCharsets.US_ASCII)).integer(2)
          .json(CheckpointBytes.VALID_JSON).integer(0).integer(0).withChecksum();
      assertThat(refusal(stateDir("v2", v2))).contains("has checkpoint format 2; this server reads format 1");
      assertThat(refusal(stateDir("png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10})))
          .contains("is not a Flotilla checkpoint");
      Path withDirectory = Files.createDirectories(dir.resolve("directory").resolve(CheckpointStore.FILE_NAME)).getParent();
      assertThat(refusal(withDirectory)).contains("is not a regular file");
      Path withDanglingLink = Files.createDirectories(dir.resolve("dangling"));
      Files.createSymbolicLink(withDanglingLink.resolve(CheckpointStore.FILE_NAME), dir.resolve("nowhere"));
      assertThat(refusal(withDanglingLink)).contains("cannot be read");
      assertThat(new CheckpointStore(Files.createDirectories(dir.resolve("empty"))).load()).isEmpty();
    }
  }
}
