package dev.flotilla.protocol.tensor;

import static dev.flotilla.protocol.tensor.DecoderFixtures.rope;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.DecoderFixtures.Recorder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AcceptFiniteTest {

  private static final int B = FloatKernels.BLOCK_VALUES;
  private static final int BIG = 2 * B + 808;

  /** Tensors of 5, 1, 2 blocks + 808 and 3 values. */
  private static final List<TensorSpec> SPECS = List.of(new TensorSpec("a", new long[] {5}),
      new TensorSpec("one", new long[] {1}), new TensorSpec("big", new long[] {BIG}),
      new TensorSpec("c", new long[] {3}));

  private static float[][] tensors() {
    float[][] t = {new float[5], new float[1], new float[BIG], new float[3]};
    int k = 0;
    for (float[] x : t) {
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) Math.cos(k++) * 3;
      }
    }
    return t;
  }

  /** The whole stream as one byte array. */
  private static byte[] encode(float[][] tensors) {
    List<ByteString> chunks = new ArrayList<>();
    TensorChunks.dataChunks(tensors, Integer.MAX_VALUE - 7).forEachRemaining(chunks::add);
    return chunks.get(0).toByteArray();
  }

  @Test
  @DisplayName("acceptFinite hands every value to the right tensor and offset, in blocks of at most BLOCK_VALUES that never cross a tensor, whatever the chunk's buffer boundaries")
  void sameValuesAsTheLayout() throws Exception {
    float[][] tensors = tensors();
    byte[] bytes = encode(tensors);
    int[][] cuts = {{bytes.length}, {1}, {3, 5, 7}, {B * 4 + 1, 2}, {B * 4, B * 4}, {13, 16_000}, {65_537}};
    for (int[] pieces : cuts) {
      TensorStreamDecoder decoder = new TensorStreamDecoder(SPECS);
      Recorder sink = new Recorder(5, 1, BIG, 3);
      // two chunks, cut at a value that is not a tensor boundary
      int split = 4 * 1234;
      decoder.acceptFinite(rope(bytes, 0, split, pieces), sink);
      decoder.acceptFinite(rope(bytes, split, bytes.length, pieces), sink);
      assertThat(decoder.isComplete()).isTrue();
      assertThat(sink.got).isDeepEqualTo(tensors);
      assertThat(sink.largest).isLessThanOrEqualTo(FloatKernels.BLOCK_VALUES);
    }
  }

  @Test
  @DisplayName("a NaN or infinity is refused naming its tensor, element and value; the blocks before it were handed on, none after")
  void nonFiniteRefused() {
    float[][] tensors = tensors();
    tensors[2][2 * B + 308] = Float.NEGATIVE_INFINITY;
    byte[] bytes = encode(tensors);
    TensorStreamDecoder decoder = new TensorStreamDecoder(SPECS);
    Recorder sink = new Recorder(5, 1, BIG, 3);
    assertThatThrownBy(() -> decoder.acceptFinite(rope(bytes, 0, bytes.length, 999), sink))
        .isInstanceOf(TensorStreamException.class)
        .hasMessage("tensor 'big' element " + (2 * B + 308) + " is -Infinity");
    // blocks of 'big' start at elements 0, B, 2B: the third holds the bad value and was not handed on
    assertThat(sink.got[2][2 * B - 1]).isEqualTo(tensors[2][2 * B - 1]);
    assertThat(sink.got[2][2 * B]).isZero();

    float[][] nan = tensors();
    nan[0][0] = Float.NaN;
    TensorStreamDecoder second = new TensorStreamDecoder(SPECS);
    Recorder nothing = new Recorder(5, 1, BIG, 3);
    assertThatThrownBy(() -> second.acceptFinite(ByteString.copyFrom(encode(nan)), nothing))
        .hasMessage("tensor 'a' element 0 is NaN");
    assertThat(nothing.calls).isZero();
  }

  @Test
  @DisplayName("acceptFinite applies the chunk checks first: an oversize or misaligned chunk is refused before any value is handed on")
  void checksFirst() {
    TensorStreamDecoder decoder = new TensorStreamDecoder(SPECS, 64);
    Recorder sink = new Recorder(5, 1, BIG, 3);
    assertThatThrownBy(() -> decoder.acceptFinite(ByteString.copyFrom(new byte[68]), sink))
        .hasMessage("data chunk of 68 bytes exceeds the limit of 64 bytes");
    assertThatThrownBy(() -> decoder.acceptFinite(ByteString.copyFrom(new byte[6]), sink))
        .hasMessage("data chunk of 6 bytes is not a whole number of float32 values");
    assertThat(sink.calls).isZero();
    assertThat(decoder.valuesReceived()).isZero();
  }

  @Test
  @DisplayName("values cross from one little-endian chunk byte order to float exactly (bit patterns, negative zero, subnormals)")
  void exactBits() throws Exception {
    List<TensorSpec> specs = List.of(new TensorSpec("x", new long[] {4}));
    float[] values = {-0f, Float.MIN_VALUE, -Float.MAX_VALUE, 1.17549435E-38f};
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    float[] got = new float[4];
    new TensorStreamDecoder(specs).acceptFinite(rope(b.array(), 0, 16, 3),
        (t, off, v, n) -> v.get(v.position(), got, off, n));
    for (int i = 0; i < 4; i++) {
      assertThat(Float.floatToRawIntBits(got[i])).isEqualTo(Float.floatToRawIntBits(values[i]));
    }
  }
}
