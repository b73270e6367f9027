package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.SafetensorsHeader;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.FakeParty;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.Weights;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.SystemPython;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRealServers(RealServer.PYTORCH)
@DisplayName("the exported model works in PyTorch")
class ExportPyTorchIT {

  @TempDir
  Path dir;

  @Test
  @DisplayName("a job started from a PyTorch state_dict (with BatchNorm's I64 counter) exports a file that "
      + "load_file + load_state_dict(strict) accept, and the module computes what the server's values compute")
  void exportedModelLoadsIntoTheModule() throws Exception {
    Path init = dir.resolve("init.safetensors");
    try (var in = getClass().getResourceAsStream("net.py")) {
      Files.write(dir.resolve("net.py"), in.readAllBytes());
    }
    SystemPython.run(dir, Duration.ofMinutes(5), "net.py", "init", init.toString()).requireSuccess();
    SafetensorsHeader header = Safetensors.readLayout(init);
    List<TensorSpec> layout = header.layout();
    assertThat(layout).extracting(TensorSpec::name).contains("bn1.running_var", "fc3.bias");
    assertThat(layout).filteredOn(t -> t.name().equals("bn1.num_batches_tracked"))
        .containsExactly(new TensorSpec("bn1.num_batches_tracked", new long[] {}, DType.I64));

    ServerConfig cfg = ServerConfig.builder().jobId("jobP").initialModel(init).rounds(1).minParties(2)
        .expectedParties(2).joinGrace(Duration.ofSeconds(5)).roundTimeout(Duration.ofSeconds(30))
        .finalEvaluationWait(Duration.ofMillis(100)).stateDir(dir.resolve("state")).build();
    float[][] global;
    try (Federation f = new Federation(cfg)) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      a.connect(100);
      b.connect(300);
      float[][] v0 = a.fetch(layout, a.awaitTrain().getModelVersion()).tensors();
      b.awaitTrain();
      // the parties move every value, the counter too: 7 + (100 * 0.25 + 300 * 1.25) / 400 = 8.0
      a.submit(1, 100, Map.of(), layout, Weights.shifted(v0, 0.25f));
      b.submit(1, 300, Map.of(), layout, Weights.shifted(v0, 1.25f));
      f.done.get(30, TimeUnit.SECONDS);
      global = Weights.values(f.coordinator.globalModel());
    }
    Path raw = dir.resolve("global.f32");
    ByteBuffer bytes = ByteBuffer.allocate(4 * java.util.Arrays.stream(global).mapToInt(t -> t.length).sum())
        .order(ByteOrder.LITTLE_ENDIAN);
    for (float[] t : global) {
      for (float v : t) {
        bytes.putFloat(v);
      }
    }
    Files.write(raw, bytes.array());
    String layoutJson = layout.stream().map(t -> "[\"" + t.name() + "\"," + java.util.Arrays.toString(t.shape()) + "]")
        .collect(Collectors.joining(",", "[", "]"));

    Path layoutFile = Files.writeString(dir.resolve("layout.json"), layoutJson);
    String output = SystemPython.run(dir, Duration.ofMinutes(5), "net.py", "check", cfg.exportTarget().toString(),
        raw.toString(), layoutFile.toString()).requireSuccess();
    Map<String, Double> figures = output.lines().filter(l -> l.contains(" ")).map(l -> l.split(" "))
        .collect(Collectors.toMap(p -> p[0], p -> Double.parseDouble(p[1])));
    assertThat(figures.get("num_batches_tracked")).isEqualTo(8.0);
    assertThat(figures.get("output_scale")).as("outputs are not trivially zero").isGreaterThan(0.01);
    assertThat(figures.get("max_abs_difference")).isCloseTo(0.0, within(1e-5));
  }
}
