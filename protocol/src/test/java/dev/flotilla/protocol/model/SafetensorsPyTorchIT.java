package dev.flotilla.protocol.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.SystemPython;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRealServers(RealServer.PYTORCH)
@DisplayName("safetensors files agree with PyTorch's safetensors package")
class SafetensorsPyTorchIT {

  @TempDir
  Path dir;

  @Test
  @DisplayName("a file PyTorch wrote in F32, F16, BF16, F64, I64 and I32 reads as the float32 values PyTorch converts it to, bit for bit")
  void readsWhatPyTorchWrites() throws Exception {
    python("torch_writes.py", dir.toString());
    ModelFile model = Safetensors.read(dir.resolve("torch.safetensors"));

    Map<String, DType> dtypes = model.layout().stream().collect(Collectors.toMap(TensorSpec::name, TensorSpec::dtype));
    assertThat(dtypes).isEqualTo(Map.of("layer.f32", DType.F32, "layer.f16", DType.F16, "layer.bf16", DType.BF16,
        "layer.f64", DType.F64, "bn.i64", DType.I64, "bn.i32", DType.I32, "bn.num_batches_tracked", DType.I64));
    assertThat(model.metadata()).isEqualTo(Map.of("format", "pt", "flotilla.model", "cnn"));
    assertThat(model.model()).contains("cnn");
    for (int t = 0; t < model.layout().size(); t++) {
      TensorSpec spec = model.layout().get(t);
      float[] expected = rawFloats(dir.resolve(spec.name() + ".f32"));
      assertThat(floatBits(model.values()[t])).as(spec.name()).containsExactly(floatBits(expected));
    }
    TensorSpec scalar = model.layout().stream().filter(s -> s.name().equals("bn.num_batches_tracked")).findFirst().orElseThrow();
    assertThat(scalar.shape()).isEmpty();
  }

  @Test
  @DisplayName("what Flotilla writes, safetensors.torch.load_file reads: names, shapes, dtypes, metadata, and values equal to PyTorch's own conversion")
  void pyTorchReadsWhatWeWrite() throws Exception {
    List<TensorSpec> layout = List.of(
        new TensorSpec("conv.weight", new long[] {4, 3, 3, 3}),
        new TensorSpec("conv.bias", new long[] {4}, DType.F16),
        new TensorSpec("fc.weight", new long[] {10, 7}, DType.BF16),
        new TensorSpec("fc.bias", new long[] {10}, DType.F64),
        new TensorSpec("bn.num_batches_tracked", new long[] {}, DType.I64),
        new TensorSpec("counts", new long[] {2, 3}, DType.I32));
    SplittableRandom random = new SplittableRandom(7);
    float[][] values = new float[layout.size()][];
    Map<String, String> metadata = new HashMap<>(Map.of(Safetensors.MODEL_KEY, "custom", "job", "fmnist"));
    ByteBuffer source = ByteBuffer.allocate(4 * (int) layout.stream().mapToLong(TensorSpec::elementCount).sum())
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int t = 0; t < layout.size(); t++) {
      values[t] = new float[layout.get(t).numElements()];
      for (int i = 0; i < values[t].length; i++) {
        values[t][i] = (float) (random.nextGaussian() * (layout.get(t).dtype().isInteger() ? 1000 : 3));
        source.putFloat(values[t][i]);
      }
    }
    values[5][0] = 2.5f; // ties round to even, as torch.round does
    values[5][1] = -3.5f;
    source.putFloat(4 * (values[0].length + values[1].length + values[2].length + values[3].length + values[4].length), 2.5f);
    source.putFloat(4 * (values[0].length + values[1].length + values[2].length + values[3].length + values[4].length + 1), -3.5f);
    Files.write(dir.resolve("source.f32"), source.array());
    Safetensors.write(dir.resolve("ours.safetensors"), layout, values, metadata);

    String expected = "{\"metadata\":{\"flotilla.model\":\"custom\",\"job\":\"fmnist\"},\"tensors\":["
        + layout.stream().map(s -> "[\"" + s.name() + "\",\"" + s.dtype().safetensorsName() + "\","
            + java.util.Arrays.toString(s.shape()) + "]").collect(Collectors.joining(",")) + "]}";
    assertThat(python("torch_reads.py", dir.toString(), expected)).contains("OK 6");
  }

  /** Runs a script of this package's test resources with Debian's python3; its output, or an AssertionError. */
  private String python(String script, String... args) throws IOException {
    try (var in = getClass().getResourceAsStream(script)) {
      Files.write(dir.resolve(script), in.readAllBytes());
    }
    String[] command = new String[args.length + 1];
    command[0] = script;
    System.arraycopy(args, 0, command, 1, args.length);
    return SystemPython.run(dir, java.time.Duration.ofMinutes(5), command).requireSuccess();
  }

  static float[] rawFloats(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  static int[] floatBits(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }
}
