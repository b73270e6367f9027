package dev.flotilla.protocol.tensor;

import static dev.flotilla.protocol.tensor.DecoderFixtures.rope;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.DecoderFixtures.Recorder;
import dev.flotilla.protocol.v1.Encoding;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Updates in bfloat16 and float16: encoded by the sender's chunker, widened by the receiver's decoder. */
class ReducedPrecisionStreamTest {

  private static final int B = FloatKernels.BLOCK_VALUES;
  private static final int BIG = 2 * B + 809;

  /** Tensors of 5, 1, 2 blocks + 809 and 3 values: odd sizes, a block boundary inside 'big'. */
  private static final List<TensorSpec> SPECS = List.of(new TensorSpec("a", new long[] {5}),
      new TensorSpec("one", new long[] {1}), new TensorSpec("big", new long[] {BIG}),
      new TensorSpec("c", new long[] {3}));

  /** Values of all magnitudes fp16 holds (normal and subnormal), none of them a 2-byte value already. */
  private static float[][] tensors() {
    float[][] t = {new float[5], new float[1], new float[BIG], new float[3]};
    int k = 0;
    for (float[] x : t) {
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) (Math.cos(k) * Math.pow(2, (k % 40) - 26));
        k++;
      }
    }
    return t;
  }

  private static float[][] rounded(float[][] tensors, WireEncoding encoding) {
    float[][] out = new float[tensors.length][];
    for (int t = 0; t < tensors.length; t++) {
      out[t] = new float[tensors[t].length];
      for (int i = 0; i < tensors[t].length; i++) {
        out[t][i] = encoding.round(tensors[t][i]);
      }
    }
    return out;
  }

  private static byte[] encode(float[][] tensors, WireEncoding encoding) {
    List<ByteString> chunks = new ArrayList<>();
    TensorChunks.dataChunks(tensors, Integer.MAX_VALUE - 7, encoding).forEachRemaining(chunks::add);
    return chunks.get(0).toByteArray();
  }

  @ParameterizedTest
  @EnumSource(value = WireEncoding.class, names = {"BFLOAT16", "FLOAT16"})
  @DisplayName("the chunker writes 2 little-endian bytes per value, each the rounded value's pattern")
  void twoBytesPerValue(WireEncoding encoding) {
    float[][] tensors = tensors();
    byte[] bytes = encode(tensors, encoding);
    assertThat(bytes).hasSize(2 * (5 + 1 + BIG + 3));
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    short expected = encoding == WireEncoding.BFLOAT16 ? HalfFloats.toBfloat16(tensors[2][1000])
        : HalfFloats.toFloat16(tensors[2][1000]);
    assertThat(b.getShort(2 * (5 + 1 + 1000))).isEqualTo(expected);
    // a 1 MiB chunk holds 512 Ki values
    List<ByteString> chunks = new ArrayList<>();
    TensorChunks.dataChunks(new float[][] {new float[(1 << 19) + 3]}, TensorChunks.MAX_CHUNK_BYTES, encoding)
        .forEachRemaining(chunks::add);
    assertThat(chunks).extracting(ByteString::size).containsExactly(TensorChunks.MAX_CHUNK_BYTES, 6);
  }

  @ParameterizedTest
  @EnumSource(value = WireEncoding.class, names = {"BFLOAT16", "FLOAT16"})
  @DisplayName("acceptFinite hands the widened values to the right tensor and offset whatever the chunks' lengths and their buffers' odd boundaries (inside a value)")
  void widenedAtOddSplits(WireEncoding encoding) throws Exception {
    float[][] tensors = tensors();
    float[][] expected = rounded(tensors, encoding);
    assertThat(java.util.Arrays.deepEquals(expected, tensors)).as("the rounding is visible").isFalse();
    byte[] bytes = encode(tensors, encoding);
    int[][] pieces = {{bytes.length}, {1}, {3, 5, 7}, {2 * B + 1, 2}, {2 * B, 2 * B}, {13, 16_001}, {65_537}};
    // chunks cut after 7 values (inside 'big' after a 6-value prefix), after B + 3 more, then the rest
    int[] cuts = {2 * 7, 2 * (7 + B + 3), bytes.length};
    for (int[] piece : pieces) {
      TensorStreamDecoder decoder = new TensorStreamDecoder(SPECS, encoding);
      Recorder sink = new Recorder(5, 1, BIG, 3);
      int from = 0;
      for (int cut : cuts) {
        decoder.acceptFinite(rope(bytes, from, cut, piece), sink);
        from = cut;
      }
      assertThat(decoder.isComplete()).isTrue();
      assertThat(decoder.valuesReceived()).isEqualTo(5 + 1 + BIG + 3);
      assertThat(sink.got).isDeepEqualTo(expected);
      assertThat(sink.largest).isLessThanOrEqualTo(B);
    }
  }

  @ParameterizedTest
  @EnumSource(value = WireEncoding.class, names = {"BFLOAT16", "FLOAT16"})
  @DisplayName("accept (no finiteness check) widens the same way")
  void acceptWidens(WireEncoding encoding) throws Exception {
    float[][] tensors = tensors();
    byte[] bytes = encode(tensors, encoding);
    TensorStreamDecoder decoder = new TensorStreamDecoder(SPECS, encoding);
    Recorder sink = new Recorder(5, 1, BIG, 3);
    decoder.accept(rope(bytes, 0, 998, 3), sink);
    decoder.accept(rope(bytes, 998, bytes.length, 5), sink);
    assertThat(sink.got).isDeepEqualTo(rounded(tensors, encoding));
  }

  @ParameterizedTest
  @EnumSource(value = WireEncoding.class, names = {"BFLOAT16", "FLOAT16"})
  @DisplayName("a NaN or infinity in 2 bytes is refused after widening, naming its tensor and element; an odd-length chunk or one beyond the layout is refused before any value is handed on")
  void refusals(WireEncoding encoding) {
    short inf = encoding == WireEncoding.BFLOAT16 ? (short) 0xff80 : (short) 0xfc00;
    short nan = encoding == WireEncoding.BFLOAT16 ? (short) 0x7fc1 : (short) 0x7e01;
    float[][] tensors = tensors();
    byte[] bytes = encode(tensors, encoding);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(2 * (6 + B + 17), inf);
    TensorStreamDecoder decoder = new TensorStreamDecoder(SPECS, encoding);
    Recorder sink = new Recorder(5, 1, BIG, 3);
    assertThatThrownBy(() -> decoder.acceptFinite(rope(bytes, 0, bytes.length, 999), sink))
        .isInstanceOf(TensorStreamException.class)
        .hasMessage("tensor 'big' element " + (B + 17) + " is -Infinity");
    assertThat(sink.got[2][B - 1]).isEqualTo(encoding.round(tensors[2][B - 1]));
    assertThat(sink.got[2][B]).isZero(); // the block holding it was not handed on

    byte[] withNan = encode(tensors, encoding);
    ByteBuffer.wrap(withNan).order(ByteOrder.LITTLE_ENDIAN).putShort(2 * 3, nan);
    Recorder nothing = new Recorder(5, 1, BIG, 3);
    assertThatThrownBy(() -> new TensorStreamDecoder(SPECS, encoding).acceptFinite(ByteString.copyFrom(withNan), nothing))
        .hasMessage("tensor 'a' element 3 is NaN");
    assertThat(nothing.calls).isZero();

    TensorStreamDecoder fresh = new TensorStreamDecoder(SPECS, 64, encoding);
    assertThatThrownBy(() -> fresh.acceptFinite(ByteString.copyFrom(bytes, 0, 7), nothing))
        .hasMessage("data chunk of 7 bytes is not a whole number of " + encoding.describe() + " values");
    assertThatThrownBy(() -> fresh.acceptFinite(ByteString.copyFrom(bytes, 0, 66), nothing))
        .hasMessage("data chunk of 66 bytes exceeds the limit of 64 bytes");
    TensorStreamDecoder tiny = new TensorStreamDecoder(List.of(new TensorSpec("w", new long[] {3})), encoding);
    assertThatThrownBy(() -> tiny.acceptFinite(ByteString.copyFrom(new byte[8]), nothing))
        .hasMessage("stream carries more than the 3 " + encoding.describe() + " values of the model (4 so far)");
    assertThat(nothing.calls).isZero();
    assertThat(fresh.valuesReceived()).isZero();
  }

  @Test
  @DisplayName("updateStream follows the header's encoding; an encoding without float values (fixed point) is refused")
  void updateStreamFollowsHeader() {
    List<TensorSpec> specs = List.of(new TensorSpec("w", new long[] {3}));
    float[][] weights = {{1f, 1.00390625f, -70000f}};
    List<UpdateChunk> chunks = new ArrayList<>();
    TensorChunks.updateStream(UpdateHeader.newBuilder().setRound(1).setEncoding(Encoding.BFLOAT16).build(), specs,
        weights).forEachRemaining(chunks::add);
    assertThat(chunks.get(0).getHeader().getEncoding()).isEqualTo(Encoding.BFLOAT16);
    ByteBuffer data = chunks.get(1).getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(data.remaining()).isEqualTo(6);
    assertThat(data.getShort(0)).isEqualTo((short) 0x3f80);
    assertThat(data.getShort(2)).isEqualTo((short) 0x3f80); // 1 + 2^-8: a tie, to even
    assertThat(HalfFloats.bfloat16ToFloat(data.getShort(4))).isEqualTo(-70144f);
    assertThatThrownBy(() -> TensorChunks.updateStream(UpdateHeader.newBuilder()
        .setEncoding(Encoding.FIXED_POINT_MOD_2_32).build(), specs, weights))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("update encoding FIXED_POINT_MOD_2_32 is not one of [FLOAT32, BFLOAT16, FLOAT16]");
  }

  @Test
  @DisplayName("requireEncodable names the first finite value that would become infinite (fp16 from 65520, bf16 only next to Float.MAX_VALUE); float32 takes everything")
  void requireEncodable() throws Exception {
    List<TensorSpec> specs = List.of(new TensorSpec("fc1.weight", new long[] {4}), new TensorSpec("fc1.bias", new long[] {3}));
    float[][] fine = {{65519f, -65519f, 1e-9f, Float.NaN}, {0, 1, 2}};
    WireEncoding.FLOAT16.requireEncodable(specs, fine); // NaN is the trainer's to refuse, and the server's
    float[][] large = {{1, 2, 3, 4}, {0, -65520f, 70000f}};
    assertThatThrownBy(() -> WireEncoding.FLOAT16.requireEncodable(specs, large))
        .isInstanceOf(TensorStreamException.class)
        .hasMessage("tensor 'fc1.bias' element 1 is -65520.0, beyond the range of float16 (largest finite 65504)");
    WireEncoding.BFLOAT16.requireEncodable(specs, large);
    float[][] huge = {{1, 2, 3, Float.MAX_VALUE}, {0, 0, 0}};
    assertThatThrownBy(() -> WireEncoding.BFLOAT16.requireEncodable(specs, huge))
        .hasMessage("tensor 'fc1.weight' element 3 is 3.4028235E38, beyond the range of bfloat16 (largest finite "
            + "3.3895314E38)");
    WireEncoding.FLOAT32.requireEncodable(specs, huge);
  }

  @Test
  @DisplayName("flag names parse to encodings (case ignored); anything else is refused naming the choices")
  void parse() {
    assertThat(WireEncoding.parse("bf16")).isEqualTo(WireEncoding.BFLOAT16);
    assertThat(WireEncoding.parse("FP16")).isEqualTo(WireEncoding.FLOAT16);
    assertThat(WireEncoding.parse("float32")).isEqualTo(WireEncoding.FLOAT32);
    assertThat(WireEncoding.of(Encoding.FLOAT16)).isEqualTo(WireEncoding.FLOAT16);
    assertThatThrownBy(() -> WireEncoding.parse("int8")).hasMessage("update encoding 'int8' is not one of [float32, bf16, fp16]");
  }
}
