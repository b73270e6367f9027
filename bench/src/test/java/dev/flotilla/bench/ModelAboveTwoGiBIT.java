package dev.flotilla.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.SafetensorsHeader;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.tls.BoringSsl;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.server.model.FileModel;
import dev.flotilla.server.state.Checkpoint;
import dev.flotilla.server.state.CheckpointStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model above 2 GiB end to end through the packaged server as a process of its own, over real
 * mutual TLS, with two parties of {@link PartyFleet} (each its own certificate and connection). One
 * float32 tensor is 2^31 + 128 KiB bytes, behind a small one, so byte 2^31 of the model's stream and
 * byte 2^31 of that tensor fall on different values; both are watched. Every round each party
 * fetches the whole global model (every value checked, those around byte 2^31 kept) and uploads an
 * update of known values (weights 100 and 300). A first server process runs the job with 2 rounds
 * and ends; a second one, given 3 rounds on the same state directory, resumes from its checkpoint
 * and runs round 3. Exports and checkpoints are compared with the weighted means.
 *
 * <p>Both processes run with the heap the aggregator README prescribes for FedAvg (8 bytes per value
 * + 384 MiB, here 4.4 GiB): round 2 of the first process reuses round 1's running sum (4 GiB). When
 * each round allocated a new one, a server died once of OutOfMemoryError at round 2's start (1025
 * contiguous free G1 regions were needed; BENCHMARKS.md).
 *
 * <p>Runs in a JVM of its own (bench's failsafe configuration, -Xmx1g): the parties make and check
 * values chunk by chunk. Disk: at most about 10 GiB under the temporary directory (initial model,
 * model versions, checkpoint, export, two uploads being spooled), deleted afterwards.
 */
@DisplayName("A model above 2 GiB (one float32 tensor of 2^31 + 128 KiB bytes) goes end to end through the server process")
class ModelAboveTwoGiBIT {

  private static final Logger log = LoggerFactory.getLogger(ModelAboveTwoGiBIT.class);

  private static final List<TensorSpec> LAYOUT = List.of(
      new TensorSpec("embed.bias", new long[] {1000}),
      new TensorSpec("big.weight", new long[] {16385, 32768}), // 536,903,680 values: 2^31 + 131,072 bytes
      new TensorSpec("head.weight", new long[] {10, 1000}),
      new TensorSpec("head.bias", new long[] {10}));
  private static final int BIG = 1;
  private static final long TWO_GIB = 1L << 31;
  /** Samples of the two parties: the mean weighs them 1:3. */
  private static final long[] SAMPLES = {100, 300};

  /** Byte offsets in the model's values whose fetched values are named in the assertions. */
  private static final long BIG_START = 1000L * Float.BYTES;
  private static final long[] WATCHED = {TWO_GIB - 8, TWO_GIB - 4, TWO_GIB, TWO_GIB + 4,
      BIG_START + TWO_GIB - 4, BIG_START + TWO_GIB, BIG_START + TWO_GIB + 4};

  @TempDir
  Path dir;

  private final KnownValues values = new KnownValues(LAYOUT, SAMPLES, WATCHED);

  @Test
  @DisplayName("2 parties over mTLS fetch it whole and upload known updates in rounds 1 and 2 of one server process at "
      + "the documented heap, and in round 3 after a restart from the checkpoint; every fetched value, the exports and "
      + "the checkpoints equal the weighted means, at byte 2^31 and at the ends")
  void threeRoundsAcrossARestart() throws Exception {
    BoringSsl.requireAvailable();
    assertThat(LAYOUT.get(BIG).fileBytes()).isGreaterThan(TWO_GIB);
    Pki pki = new Pki(dir.resolve("pki"));
    TlsFiles server = pki.server();
    List<TlsFiles> parties = List.of(pki.party(0), pki.party(1));
    long modelBytes = values.totalValues() * Float.BYTES;

    Path initial = dir.resolve("initial.safetensors");
    long start = System.nanoTime();
    Safetensors.write(initial, LAYOUT, (t, offset, dst, at, count) ->
        KnownValues.INITIAL.fill(values.position(t, offset), dst, at, count), Map.of(Safetensors.MODEL_KEY, "big"));
    assertThat(Safetensors.readLayout(initial).dataBytes()).isEqualTo(modelBytes).isGreaterThan(TWO_GIB);
    log.info("initial model of {} bytes written in {} s", Files.size(initial), seconds(start));

    Path state = dir.resolve("state");
    Path status = dir.resolve("status.json");
    // a job of 2 rounds that ends (export and checkpoint); then the same job given 3 rounds resumes from
    // that checkpoint in a new process
    try (Started first = startServer(server, initial, state, status, 1, 2);
         PartyFleet fleet = PartyFleet.connect(first.port, parties, LAYOUT, values, first.process)) {
      fleet.runJob(true, TimeUnit.MINUTES.toNanos(10), first.process);
      assertThat(first.process.awaitExit(Duration.ofMinutes(3))).as("exit code of the first server; its log:\n%s",
          first.process.tail()).isZero();
      assertThat(fleet.bytesFetched()).isEqualTo(2 * parties.size() * modelBytes);
      assertThat(fleet.bytesUploaded()).isEqualTo(2 * parties.size() * modelBytes);
      first.logPeaks("rounds 1 and 2 of 2", start);
    }
    assertThat(roundsCompleted(status)).isEqualTo(2);
    checkExport(state.resolve("model-final.safetensors"), 2, false);
    checkCheckpoint(state, 2, false);

    start = System.nanoTime();
    try (Started second = startServer(server, initial, state, status, 2, 3);
         PartyFleet fleet = PartyFleet.connect(second.port, parties, LAYOUT, values, second.process)) {
      fleet.runJob(true, TimeUnit.MINUTES.toNanos(10), second.process);
      assertThat(second.process.awaitExit(Duration.ofMinutes(3))).as("exit code of the resumed server; its log:\n%s",
          second.process.tail()).isZero();
      assertThat(fleet.bytesFetched()).isEqualTo(parties.size() * modelBytes);
      assertThat(fleet.bytesUploaded()).isEqualTo(parties.size() * modelBytes);
      assertThat(second.process.tail()).as("the second server resumed from the first one's checkpoint")
          .contains("resumed from " + state.resolve(CheckpointStore.FILE_NAME)).contains("at round 2 of 3");
      second.logPeaks("round 3 after the restart", start);
    }
    assertThat(roundsCompleted(status)).isEqualTo(3);
    checkExport(state.resolve("model-final.safetensors"), 3, true);
    checkCheckpoint(state, 3, true);

    // what the parties received at byte 2^31 of the model's stream and of the big tensor, by name
    for (int round = 1; round <= 3; round++) {
      for (int party = 0; party < parties.size(); party++) {
        for (long offset : WATCHED) {
          assertThat(values.fetchedAt(party, round, offset))
              .as("party %d fetched %s in round %d", party, values.describe(offset / Float.BYTES), round)
              .isEqualTo(values.global(round - 1, offset / Float.BYTES));
        }
      }
    }
  }

  /** A server process and its port. */
  private record Started(ServerUnderTest process, int port) implements AutoCloseable {
    void logPeaks(String what, long startNanos) {
      log.info("server ({}) done in {} s: peak RSS {} MiB, peak state directory {} GiB", what, seconds(startNanos),
          process.sampledPeakRssKib() >> 10, String.format("%.1f", process.peakStateBytes() / 1073741824.0));
    }

    @Override
    public void close() throws InterruptedException {
      process.close();
    }
  }

  /**
   * The packaged server for a job of {@code rounds} FedAvg rounds on {@code state}, with the heap the aggregator
   * README prescribes (FedAvg's running sum, 8 bytes per value, + 384 MiB); its log in
   * target/it-logs/ (kept for a failed run).
   */
  private Started startServer(TlsFiles server, Path initial, Path state, Path status, int process, int rounds)
      throws IOException {
    long heapMib = (8 * values.totalValues() >> 20) + 384;
    int port = BenchFiles.freePort();
    List<String> args = List.of("--cert", server.certificateChain().toString(), "--key", server.privateKey().toString(),
        "--ca", server.trustedCa().toString(), "--bind", "127.0.0.1", "--port", Integer.toString(port),
        "--state-dir", state.toString(), "--status-file", status.toString(), "--initial-model", initial.toString(),
        "--rounds", Integer.toString(rounds), "--min-parties", "2", "--expected-parties", "2", "--strategy", "fedavg",
        "--round-timeout", "10m", "--final-eval-wait", "1s");
    Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve(getClass().getSimpleName() + "-server-"
        + process + ".log");
    Files.deleteIfExists(log);
    return new Started(ServerUnderTest.start(FlotillaJars.locate().serverJar(), List.of("-Xmx" + heapMib + "m"),
        Map.of("MALLOC_ARENA_MAX", "2"), args, log, state), port);
  }

  private static int roundsCompleted(Path status) {
    try {
      return StatusJson.readFile(status).roundsCompleted();
    } catch (IOException notYet) {
      return 0;
    }
  }

  /** The export's layout, metadata and values: at the named positions, and with {@code everyValue} every value. */
  private void checkExport(Path exported, int version, boolean everyValue) throws IOException {
    long start = System.nanoTime();
    SafetensorsHeader header = Safetensors.readLayout(exported);
    assertThat(header.layout()).isEqualTo(LAYOUT);
    if (everyValue) {
      long[] checked = {0};
      Safetensors.read(exported, layout -> {}, (t, offset, src, at, count) ->
          checked[0] += compare("export", version, values.position(t, offset), src, at, count));
      assertThat(checked[0]).isEqualTo(values.totalValues());
    }
    assertThat(header.metadata()).containsEntry("model_version", Long.toString(version))
        .containsEntry(Safetensors.MODEL_KEY, "big");
    for (long g : boundaries()) {
      assertThat(floatAt(exported, header.dataStart() + g * Float.BYTES)).as("exported %s", values.describe(g))
          .isEqualTo(values.global(version, g));
    }
    log.info("export of version {} checked ({}) in {} s", version, everyValue ? "every value" : "named positions",
        seconds(start));
  }

  /** The checkpoint's progress and model: at the named positions, and with {@code everyValue} every value. */
  private void checkCheckpoint(Path state, int rounds, boolean everyValue) throws IOException {
    long start = System.nanoTime();
    Checkpoint c = new CheckpointStore(state).load().orElseThrow();
    try {
      assertThat(c.roundsCompleted()).isEqualTo(rounds);
      assertThat(c.modelVersion()).isEqualTo(rounds);
      assertThat(c.layout()).isEqualTo(LAYOUT);
      if (everyValue) {
        float[] block = new float[1 << 20];
        long checked = 0;
        for (int t = 0; t < LAYOUT.size(); t++) {
          int n = LAYOUT.get(t).numElements();
          for (int done = 0; done < n; done += block.length) {
            int count = Math.min(block.length, n - done);
            c.global().read(t, done, block, 0, count);
            checked += compare("checkpoint", rounds, values.position(t, done), block, 0, count);
          }
        }
        assertThat(checked).isEqualTo(values.totalValues());
      }
      for (long g : boundaries()) {
        float[] one = new float[1];
        int t = tensorOf(g);
        c.global().read(t, (int) (g - values.position(t, 0)), one, 0, 1);
        assertThat(one[0]).as("checkpointed %s", values.describe(g)).isEqualTo(values.global(rounds, g));
      }
    } finally {
      ((FileModel) c.global()).close();
    }
    log.info("checkpoint of round {} checked ({}) in {} s", rounds, everyValue ? "every value" : "named positions",
        seconds(start));
  }

  /** Counts the values compared; fails naming the first that differs from global model {@code version}. */
  private int compare(String what, long version, long g, float[] actual, int at, int count) {
    float[] expected = new float[count];
    values.global(version, g, expected, 0, count);
    for (int i = 0; i < count; i++) {
      if (Float.floatToRawIntBits(actual[at + i]) != Float.floatToRawIntBits(expected[i])) {
        throw new AssertionError(what + " " + values.describe(g + i) + " is " + actual[at + i] + ", the weighted mean "
            + "of round " + version + " is " + expected[i]);
      }
    }
    return count;
  }

  /** Positions named in the assertions: both ends of every tensor, and the values around byte 2^31 of the model and of the big tensor. */
  private List<Long> boundaries() {
    List<Long> at = new ArrayList<>();
    for (int t = 0; t < LAYOUT.size(); t++) {
      at.add(values.position(t, 0));
      at.add(values.position(t, LAYOUT.get(t).elementCount() - 1));
    }
    for (long offset : WATCHED) {
      at.add(offset / Float.BYTES);
    }
    return at;
  }

  private int tensorOf(long g) {
    for (int t = LAYOUT.size() - 1; t >= 0; t--) {
      if (g >= values.position(t, 0)) {
        return t;
      }
    }
    throw new IllegalArgumentException("position " + g);
  }

  private static float floatAt(Path file, long position) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer one = ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      while (one.hasRemaining()) {
        if (channel.read(one, position + one.position()) < 0) {
          throw new IOException(file + " ends before byte " + position);
        }
      }
      return one.flip().getFloat();
    }
  }

  private static String seconds(long startNanos) {
    return String.format("%.1f", (System.nanoTime() - startNanos) / 1e9);
  }
}
