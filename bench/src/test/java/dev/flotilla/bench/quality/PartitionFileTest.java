package dev.flotilla.bench.quality;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.party.data.Partitioner;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

@RequiresRealServers(RealServer.FASHION_MNIST)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PartitionFileTest {
  ImageDataset train;

  @BeforeAll
  void load() {
    train = FashionMnist.train(RealServer.fashionMnistDirectory());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dirichlet:0.5", "labels:2", "iid"})
  @DisplayName("bin/flotilla partition writes exactly the part every party computes for itself, all of them disjoint")
  void writesWhatEachPartyTrainsOn(String scheme, @TempDir Path dir) throws Exception {
    Path out = dir.resolve("parts.json");
    int code = PartitionCommand.commandLine().execute("--data", RealServer.fashionMnistDirectory().toString(),
        "--partition", scheme, "--count", "10", "--seed", "7", "--out", out.toString());
    assertThat(code).isZero();
    JsonObject file = JsonParser.parseString(Files.readString(out)).getAsJsonObject();
    assertThat(file.get("partition").getAsString()).isEqualTo(Partitioner.parse(scheme).describe());
    assertThat(file.get("seed").getAsLong()).isEqualTo(7);
    assertThat(file.get("samples").getAsInt()).isEqualTo(60000);
    JsonArray parts = file.getAsJsonArray("parts");
    assertThat(parts).hasSize(10);
    BitSet seen = new BitSet();
    for (int p = 0; p < 10; p++) {
      JsonObject part = parts.get(p).getAsJsonObject();
      int[] indices = ints(part.getAsJsonArray("indices"));
      // what PartyDataset.load keeps for --partition-index p
      assertThat(indices).as("part %d", p).containsExactly(Partitioner.parse(scheme).part(train, p, 10, 7));
      int[] counts = new int[10];
      for (int index : indices) {
        assertThat(seen.get(index)).as("index %d in two parts", index).isFalse();
        seen.set(index);
        counts[train.classOf(index)]++;
      }
      assertThat(ints(part.getAsJsonArray("label_counts"))).containsExactly(counts);
      assertThat(part.get("samples").getAsInt()).isEqualTo(indices.length);
    }
  }

  @Test
  @DisplayName("labels:2 gives each of 10 parties exactly two classes")
  void labelSkew() {
    PartitionFile file = PartitionFile.of(train, "labels:2", 10, 42);
    for (int[] counts : file.labelCounts()) {
      assertThat(java.util.Arrays.stream(counts).filter(c -> c > 0).count()).isEqualTo(2);
    }
  }

  @Test
  @DisplayName("a bad scheme or count is a usage error (2) naming the accepted forms, before anything is written")
  void refusals(@TempDir Path dir) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CommandLine commandLine = PartitionCommand.commandLine().setErr(new PrintWriter(err, true));
    int code = commandLine.execute("--data", RealServer.fashionMnistDirectory().toString(), "--partition", "dirichlet:-1",
        "--count", "10", "--out", dir.resolve("a.json").toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("ALPHA must be a positive finite number").contains("labels:K");
    err.reset();
    code = commandLine.execute("--data", RealServer.fashionMnistDirectory().toString(), "--count", "0",
        "--out", dir.resolve("b.json").toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--count must be at least 1");
    assertThat(dir).isEmptyDirectory();
  }

  private static int[] ints(JsonArray array) {
    int[] values = new int[array.size()];
    int i = 0;
    for (JsonElement e : array) {
      values[i++] = e.getAsInt();
    }
    return values;
  }
}
