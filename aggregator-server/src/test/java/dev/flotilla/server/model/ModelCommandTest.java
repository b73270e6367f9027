package dev.flotilla.server.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.TensorSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ModelCommandTest {

  @TempDir
  Path dir;

  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    CommandLine cl = ModelCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  @DisplayName("model init writes the built-in's seeded initial weights, the same the server starts from, with flotilla.model")
  void init() throws Exception {
    Path out = dir.resolve("cnn.safetensors");
    Result r = run("init", "--model", "cnn", "--seed", "7", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("wrote " + out + ": model cnn (seed 7), 10 tensors, 44426 values, " + Files.size(out)
        + " bytes\n");
    ModelFile model = Safetensors.read(out);
    assertThat(model.layout()).isEqualTo(ModelSpecs.forName("cnn"));
    assertThat(model.values()).isDeepEqualTo(ModelSpecs.initialWeights("cnn", 7));
    assertThat(model.metadata()).isEqualTo(Map.of("format", "pt", "flotilla.model", "cnn", "seed", "7"));
    assertThat(ModelSource.file(out).name()).isEqualTo("cnn");
  }

  @Test
  @DisplayName("model show prints metadata, each tensor's dtype, shape, values and bytes, and the totals")
  void show() throws Exception {
    Path file = dir.resolve("m.safetensors");
    Safetensors.write(file, List.of(new TensorSpec("conv.weight", new long[] {4, 3, 3, 3}, DType.BF16),
        new TensorSpec("bn.num_batches_tracked", new long[] {}, DType.I64)),
        new float[][] {new float[108], {3}}, Map.of("flotilla.model", "x", "job", "j"));
    Result r = run("show", file.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(file + "\n"
        + "  flotilla.model = x\n"
        + "  job = j\n"
        + "  tensor                  dtype  shape                         values           bytes\n"
        + "  conv.weight             BF16   [4, 3, 3, 3]                     108             216\n"
        + "  bn.num_batches_tracked  I64    []                                 1               8\n"
        + "total: 2 tensors, 109 values, 224 bytes of data (224 B), file " + Files.size(file) + " bytes\n");
  }

  @Test
  @DisplayName("a refused file (6), a missing file (4) and an unknown model (2) each end with one line")
  void refusals() throws Exception {
    Path bad = Files.write(dir.resolve("bad.safetensors"), new byte[] {1, 2, 3});
    Result r = run("show", bad.toString());
    assertThat(r.code()).isEqualTo(6);
    assertThat(r.err()).isEqualTo("flotilla model show: model file " + bad + ": is 3 bytes long, too short for the 8-byte header length\n");
    Result missing = run("show", dir.resolve("none").toString());
    assertThat(missing.code()).isEqualTo(4);
    assertThat(missing.err()).isEqualTo("flotilla model show: no such file: " + dir.resolve("none") + "\n");
    Result unknown = run("init", "--model", "gpt", "--out", dir.resolve("x").toString());
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).startsWith("flotilla model init: --model: unknown model 'gpt'");
    assertThat(dir.resolve("x")).doesNotExist();
  }
}
