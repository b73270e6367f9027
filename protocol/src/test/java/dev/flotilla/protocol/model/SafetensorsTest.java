package dev.flotilla.protocol.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.tensor.HalfFloats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

  @TempDir
  Path dir;

  /** A file of the given header JSON and data bytes, exactly as given. */
  static Path rawFile(Path file, String headerJson, byte[] data) throws IOException {
    byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length).put(header).put(data);
    Files.write(file, b.array());
    return file;
  }

  static byte[] floats(float... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  @Nested
  @DisplayName("writing then reading")
  class RoundTrip {

    @Test
    @DisplayName("keeps names, shapes, dtypes, layout order, metadata and every value (integers rounded half to even)")
    void everyDtype() throws IOException {
      List<TensorSpec> layout = List.of(
          new TensorSpec("z.weight", new long[] {2, 3}),
          new TensorSpec("a.half", new long[] {4}, DType.F16),
          new TensorSpec("b.brain", new long[] {3}, DType.BF16),
          new TensorSpec("c.double", new long[] {1, 2}, DType.F64),
          new TensorSpec("bn.num_batches_tracked", new long[] {}, DType.I64),
          new TensorSpec("d.int", new long[] {4}, DType.I32));
      float[][] values = {
          {1.5f, -2f, 0.1f, 3e-8f, -0f, 1e30f},
          {1f, -0.5f, 65504f, 6.0e-8f},
          {1f, 3.140625f, -2.5e38f},
          {0.1f, -7.25f},
          {12f},
          {2.5f, 3.5f, -2.5f, 7.4f}};
      Path file = dir.resolve("m.safetensors");
      Safetensors.write(file, layout, values, Map.of(Safetensors.MODEL_KEY, "custom", "note", "a \"quoted\"\nline"));

      ModelFile read = Safetensors.read(file);
      assertThat(read.layout()).containsExactlyElementsOf(layout);
      assertThat(read.metadata()).containsEntry("flotilla.model", "custom").containsEntry("note", "a \"quoted\"\nline");
      assertThat(read.model()).contains("custom");
      assertThat(read.values()[0]).containsExactly(values[0]);
      assertThat(read.values()[1]).containsExactly(1f, -0.5f, 65504f, 5.9604645e-8f); // 6e-8 -> the smallest F16 subnormal
      assertThat(read.values()[2]).containsExactly(1f, 3.140625f, -2.4989486e38f); // as torch.tensor(-2.5e38).to(torch.bfloat16)
      assertThat(read.values()[3]).containsExactly(0.1f, -7.25f);
      assertThat(read.values()[4]).containsExactly(12f);
      assertThat(read.values()[5]).containsExactly(2f, 4f, -2f, 7f);
      assertThat(Safetensors.readLayout(file).layout()).containsExactlyElementsOf(layout);
      assertThat(Files.size(file)).isEqualTo(Safetensors.readLayout(file).dataStart() + 24 + 8 + 6 + 16 + 8 + 16);
      assertThat(Safetensors.readLayout(file).dataStart() % 8).as("data section 8-byte aligned").isZero();
      try (var files = Files.list(dir)) {
        assertThat(files).as("no temporary file left behind").containsExactly(file);
      }
    }

    @Test
    @DisplayName("replaces an existing file atomically")
    void replaces() throws IOException {
      Path file = dir.resolve("m.safetensors");
      List<TensorSpec> layout = List.of(new TensorSpec("w", new long[] {2}));
      Safetensors.write(file, layout, new float[][] {{1, 2}}, Map.of());
      Safetensors.write(file, layout, new float[][] {{3, 4}}, Map.of());
      assertThat(Safetensors.read(file).values()[0]).containsExactly(3, 4);
      assertThat(Safetensors.read(file).metadata()).isEmpty();
      assertThat(Safetensors.read(file).model()).isEmpty();
    }

    @Test
    @DisplayName("F16 and BF16 round to nearest even, as PyTorch does")
    void halfRounding() {
      assertThat(HalfFloats.toFloat16(1f / 3)).isEqualTo((short) 0x3555);
      assertThat(HalfFloats.toFloat16(65504f)).isEqualTo((short) 0x7bff);
      assertThat(HalfFloats.toFloat16(65520f)).as("halfway above the largest half rounds to infinity").isEqualTo((short) 0x7c00);
      assertThat(HalfFloats.toFloat16(1f + 0x1p-11f)).as("a tie rounds to even").isEqualTo((short) 0x3c00);
      assertThat(HalfFloats.toFloat16(1f + 0x1.8p-11f)).isEqualTo((short) 0x3c01);
      assertThat(HalfFloats.toFloat16(0x1p-25f)).as("a tie with the smallest subnormal rounds to zero").isEqualTo((short) 0);
      assertThat(HalfFloats.toFloat16(0x1.8p-25f)).isEqualTo((short) 1);
      assertThat(HalfFloats.toFloat16(-0x1p-14f)).isEqualTo((short) 0x8400);
      assertThat(HalfFloats.toBfloat16(1f / 3)).isEqualTo((short) 0x3eab);
      for (int h = 0; h < 0x10000; h++) {
        float f = HalfFloats.float16ToFloat((short) h);
        if (Float.isFinite(f)) {
          assertThat(HalfFloats.toFloat16(f)).as("half %04x survives float32", h).isEqualTo((short) h);
        }
      }
    }

    @Test
    @DisplayName("refuses to write a value its dtype cannot hold, naming tensor and element")
    void unrepresentable() {
      Path file = dir.resolve("m.safetensors");
      assertThatThrownBy(() -> Safetensors.write(file, List.of(new TensorSpec("h", new long[] {2}, DType.F16)),
          new float[][] {{1, 70000}}, Map.of()))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("tensor 'h' element 1 is 70000.0, which F16 cannot hold");
      assertThatThrownBy(() -> Safetensors.write(file, List.of(new TensorSpec("i", new long[] {1}, DType.I32)),
          new float[][] {{5e9f}}, Map.of()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("which I32 cannot hold");
      assertThatThrownBy(() -> Safetensors.write(file, List.of(new TensorSpec("w", new long[] {3})),
          new float[][] {{1, Float.NaN, 2}}, Map.of()))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("tensor 'w' element 1 is NaN; a model holds finite values only");
      assertThat(file).doesNotExist();
    }

    @Test
    @DisplayName("the float32 nearest an integer dtype's maximum saturates to it, so what was read can be written back")
    void integerLimits() throws IOException {
      Path file = dir.resolve("m.safetensors");
      List<TensorSpec> layout = List.of(new TensorSpec("i", new long[] {2}, DType.I32), new TensorSpec("l", new long[] {1}, DType.I64));
      Safetensors.write(file, layout, new float[][] {{(float) Integer.MAX_VALUE, (float) Integer.MIN_VALUE}, {(float) Long.MAX_VALUE}}, Map.of());
      ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
      data.position((int) Safetensors.readLayout(file).dataStart());
      assertThat(data.getInt()).isEqualTo(Integer.MAX_VALUE);
      assertThat(data.getInt()).isEqualTo(Integer.MIN_VALUE);
      assertThat(data.getLong()).isEqualTo(Long.MAX_VALUE);
    }
  }

  @Nested
  @DisplayName("a hostile or broken file is refused with a message naming the file and the problem")
  class Refusals {

    private String refusal(String headerJson, byte[] data) throws IOException {
      Path file = rawFile(dir.resolve("bad.safetensors"), headerJson, data);
      try {
        Safetensors.read(file);
      } catch (SafetensorsException e) {
        assertThat(e.getMessage()).startsWith("model file " + file + ": ");
        assertThat(e.file()).isEqualTo(file);
        return e.getMessage().substring(("model file " + file + ": ").length());
      }
      throw new AssertionError("accepted " + headerJson);
    }

    @Test
    @DisplayName("an unsupported dtype, naming it and the supported list")
    void dtype() throws IOException {
      assertThat(refusal("{\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]))
          .isEqualTo("tensor 'x' has dtype U8, which Flotilla does not support (supported: F32, F16, BF16, F64, I64, I32)");
    }

    @Test
    @DisplayName("header lengths beyond 100 MiB or beyond the file, before reading the header")
    void headerLength() throws IOException {
      Path file = dir.resolve("len.safetensors");
      ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MIN_VALUE).putLong(0);
      Files.write(file, b.array());
      assertThatThrownBy(() -> Safetensors.readLayout(file)).isInstanceOf(SafetensorsException.class)
          .hasMessage("model file " + file + ": header length 9223372036854775808 is outside 2..104857600 bytes");
      Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100L << 20).putLong(0).array());
      assertThatThrownBy(() -> Safetensors.readLayout(file))
          .hasMessage("model file " + file + ": header length 104857600 exceeds the 8 bytes that follow it in the file");
      Files.write(file, new byte[] {1, 2, 3});
      assertThatThrownBy(() -> Safetensors.readLayout(file))
          .hasMessage("model file " + file + ": is 3 bytes long, too short for the 8-byte header length");
    }

    @Test
    @DisplayName("offsets that leave a gap, overlap, do not start at 0, disagree with the shape, or miss the end of the data")
    void offsets() throws IOException {
      String a = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
      assertThat(refusal("{" + a + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", new byte[16]))
          .isEqualTo("tensor 'b' starts at data byte 12 but 'a' ends at 8 (a gap)");
      assertThat(refusal("{" + a + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]))
          .isEqualTo("tensor 'b' starts at data byte 4 but 'a' ends at 8 (the tensors overlap)");
      assertThat(refusal("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]))
          .isEqualTo("tensor 'b' starts at data byte 4, but the first tensor must start at 0");
      assertThat(refusal("{\"b\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]))
          .isEqualTo("tensor 'b' has data_offsets [0, 8] (8 bytes), but shape [3] of F16 needs 6 bytes");
      assertThat(refusal("{" + a + "}", new byte[12])).isEqualTo("the tensors end at data byte 8, but the data section has 12 bytes (trailing bytes)");
      assertThat(refusal("{" + a + "}", new byte[4])).isEqualTo("the tensors end at data byte 8, but the data section has 4 bytes (the file is truncated)");
      assertThat(refusal("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", new byte[8]))
          .isEqualTo("tensor 'b' has data_offsets [8, 4]; expected [begin, end] with 0 <= begin <= end");
    }

    @Test
    @DisplayName("shapes with a negative dimension, zero elements or an overflowing product")
    void shapes() throws IOException {
      assertThat(refusal("{\"b\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,0]}}", new byte[0]))
          .isEqualTo("tensor 'b' has a negative dimension in shape [2, -1]");
      assertThat(refusal("{\"b\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[0,0]}}", new byte[0]))
          .isEqualTo("tensor 'b' has shape [3, 0] with zero elements; Flotilla does not federate empty tensors");
      assertThat(refusal("{\"b\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", new byte[0]))
          .isEqualTo("tensor 'b' has shape [4294967296, 4294967296], whose size overflows 64 bits");
      assertThat(refusal("{\"b\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}", new byte[0]))
          .isEqualTo("tensor 'b' has shape [2305843009213693952], whose size overflows 64 bits");
    }

    @Test
    @DisplayName("names that are repeated, empty or too long; unknown fields; malformed JSON and UTF-8")
    void namesAndSyntax() throws IOException {
      String t = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
      assertThat(refusal("{\"a\":" + t + ",\"a\":" + t + "}", new byte[4])).isEqualTo("header JSON at character 54: duplicate key \"a\"");
      assertThat(refusal("{\"\":" + t + "}", new byte[4])).isEqualTo("a tensor has an empty name");
      assertThat(refusal("{\"" + "n".repeat(1025) + "\":" + t + "}", new byte[4]))
          .isEqualTo("tensor name '" + "n".repeat(77) + "...' is 1025 characters long, more than 1024");
      assertThat(refusal("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", new byte[4]))
          .isEqualTo("tensor 'a' has an unknown field 'extra'");
      assertThat(refusal("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4]))
          .isEqualTo("header JSON at character 29: only integers are allowed in a safetensors header");
      assertThat(refusal("{\"a\":" + t, new byte[4])).isEqualTo("header JSON at character 53: unexpected end of the header");
      assertThat(refusal("[" + t + "]", new byte[4])).isEqualTo("header is not a JSON object");
      assertThat(refusal("{\"__metadata__\":{\"k\":1}," + "\"a\":" + t + "}", new byte[4]))
          .isEqualTo("__metadata__ entry 'k' is not a string");
      assertThat(refusal("{\"__metadata__\":{}}", new byte[0])).isEqualTo("holds no tensors");
      assertThat(refusal("{\"a\\ud800\":" + t + "}", new byte[4])).isEqualTo("header JSON at character 1: string with an unpaired surrogate");
      assertThat(refusal("[".repeat(20), new byte[0])).isEqualTo("header JSON at character 9: nested more than 8 levels deep");
      Path file = dir.resolve("utf8.safetensors");
      ByteBuffer b = ByteBuffer.allocate(8 + 4).order(ByteOrder.LITTLE_ENDIAN).putLong(4).put(new byte[] {'{', (byte) 0xc3, 0x28, '}'});
      Files.write(file, b.array());
      assertThatThrownBy(() -> Safetensors.read(file)).hasMessage("model file " + file + ": header is not valid UTF-8");
    }

    @Test
    @DisplayName("non-finite values, naming tensor and element; F64 beyond the float32 range too")
    void nonFinite() throws IOException {
      assertThat(refusal("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", floats(1, 2, Float.NaN)))
          .isEqualTo("tensor 'w' element 2 is NaN; a model holds finite values only");
      byte[] big = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1).putDouble(1e300).array();
      assertThat(refusal("{\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", big))
          .isEqualTo("tensor 'd' element 1 is infinite or beyond the float32 range; a model holds finite values only");
      assertThat(refusal("{\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", new byte[] {0, 0x7c}))
          .isEqualTo("tensor 'h' element 0 is infinite; a model holds finite values only");
    }
  }

  @Test
  @DisplayName("the layout is in the order of the data offsets, whatever the order of the header's keys")
  void layoutOrderIsOffsetOrder() throws IOException {
    Path file = rawFile(dir.resolve("order.safetensors"),
        "{\"second\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
            + "\"__metadata__\":{\"format\":\"pt\"},"
            + "\"first\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}    ",
        floats(1, 2));
    ModelFile m = Safetensors.read(file);
    assertThat(m.layout()).extracting(TensorSpec::name).containsExactly("first", "second");
    assertThat(m.values()[0]).containsExactly(1);
    assertThat(m.values()[1]).containsExactly(2);
    assertThat(m.metadata()).isEqualTo(Map.of("format", "pt"));
  }
}
