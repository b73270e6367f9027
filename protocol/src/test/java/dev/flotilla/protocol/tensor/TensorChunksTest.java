package dev.flotilla.protocol.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.TensorInfo;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TensorChunksTest {

  private static final List<TensorSpec> SMALL = List.of(
      new TensorSpec("a", new long[] {2, 3}), new TensorSpec("b", new long[] {5}), new TensorSpec("c", new long[] {1}));

  private static float[][] smallTensors() {
    return new float[][] {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11}, {12}};
  }

  @Test
  @DisplayName("data chunks are float32 little-endian, concatenated in tensor order, cut at the chunk size")
  void littleEndianConcatenation() {
    List<ByteString> chunks = new ArrayList<>();
    TensorChunks.dataChunks(smallTensors(), 16).forEachRemaining(chunks::add);
    assertThat(chunks).extracting(ByteString::size).containsExactly(16, 16, 16);
    ByteBuffer first = chunks.get(0).asReadOnlyByteBuffer();
    assertThat(first.get(0)).isEqualTo((byte) 0x00); // 1.0f = 0x3f800000 little-endian: 00 00 80 3f
    assertThat(first.get(3)).isEqualTo((byte) 0x3f);
    ByteBuffer second = chunks.get(1).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(second.getFloat(0)).isEqualTo(5f);
    assertThat(second.getFloat(12)).isEqualTo(8f); // crosses from tensor a into tensor b
  }

  @Test
  @DisplayName("a whole model round-trips through the FetchModel stream in data chunks of at most 1 MiB")
  void modelRoundTrip() throws Exception {
    float[][] weights = ModelSpecs.initialWeights("mlp", 7);
    List<TensorSpec> specs = ModelSpecs.forName("mlp");
    List<ModelChunk> stream = new ArrayList<>();
    TensorChunks.modelStream(3, specs, weights).forEachRemaining(stream::add);
    assertThat(stream.get(0).hasHeader()).isTrue();
    assertThat(stream.get(0).getHeader().getTensorsList()).hasSize(6);
    for (ModelChunk c : stream.subList(1, stream.size())) {
      assertThat(c.getData().size()).isLessThanOrEqualTo(1 << 20);
    }
    ModelAssembler.Decoded decoded = ModelAssembler.readAll(specs, stream.iterator());
    assertThat(decoded.modelVersion()).isEqualTo(3);
    assertThat(decoded.tensors()).isDeepEqualTo(weights);
  }

  @Test
  @DisplayName("a model larger than 1 MiB is split into several chunks and decoded value for value")
  void multiChunkRoundTrip() throws Exception {
    List<TensorSpec> specs = List.of(new TensorSpec("big", new long[] {600, 1000}), new TensorSpec("tail", new long[] {3}));
    float[][] weights = {new float[600_000], {1.5f, -2.5f, 3.5f}};
    for (int i = 0; i < weights[0].length; i++) {
      weights[0][i] = i * 0.001f;
    }
    List<UpdateChunk> stream = new ArrayList<>();
    TensorChunks.updateStream(UpdateHeader.newBuilder().setRound(2).setNumSamples(10).build(), specs, weights)
        .forEachRemaining(stream::add);
    assertThat(stream).hasSize(1 + 3); // 2,400,012 bytes -> 1 MiB + 1 MiB + rest
    assertThat(stream.get(0).getHeader().getRound()).isEqualTo(2);
    assertThat(stream.get(0).getHeader().getTensorsList()).extracting(TensorInfo::getName).containsExactly("big", "tail");

    float[][] out = {new float[600_000], new float[3]};
    TensorStreamDecoder decoder = new TensorStreamDecoder(specs);
    for (UpdateChunk c : stream.subList(1, stream.size())) {
      assertThat(c.getData().size()).isLessThanOrEqualTo(TensorChunks.MAX_CHUNK_BYTES);
      decoder.accept(c.getData(), (t, off, values, n) -> values.get(out[t], off, n));
    }
    assertThat(decoder.isComplete()).isTrue();
    assertThat(out).isDeepEqualTo(weights);
  }

  @Test
  @DisplayName("the decoder refuses a chunk over the size limit, a ragged chunk, and values beyond the model")
  void decoderRejections() throws Exception {
    TensorStreamDecoder decoder = new TensorStreamDecoder(SMALL, 16);
    assertThatThrownBy(() -> decoder.accept(ByteString.copyFrom(new byte[20]), (t, o, v, n) -> {}))
        .hasMessageContaining("exceeds the limit of 16 bytes");
    assertThatThrownBy(() -> decoder.accept(ByteString.copyFrom(new byte[6]), (t, o, v, n) -> {}))
        .hasMessageContaining("not a whole number of float32");
    Iterator<ByteString> chunks = TensorChunks.dataChunks(smallTensors(), 16);
    while (chunks.hasNext()) {
      decoder.accept(chunks.next(), (t, o, v, n) -> {});
    }
    assertThat(decoder.isComplete()).isTrue();
    assertThatThrownBy(() -> decoder.accept(ByteString.copyFrom(new byte[4]), (t, o, v, n) -> {}))
        .hasMessageContaining("more than the 12 float32 values");
  }

  @Test
  @DisplayName("a truncated stream is reported with how many values arrived")
  void truncated() throws Exception {
    TensorStreamDecoder decoder = new TensorStreamDecoder(SMALL, 16);
    decoder.accept(TensorChunks.dataChunks(smallTensors(), 16).next(), (t, o, v, n) -> {});
    assertThatThrownBy(decoder::requireComplete).hasMessage("stream ended after 4 of 12 float32 values");
  }

  @Test
  @DisplayName("layout checks name the tensor whose name, shape or count differs")
  void layoutCheck() {
    List<TensorInfo> good = TensorChunks.infos(SMALL);
    List<TensorInfo> renamed = new ArrayList<>(good);
    renamed.set(1, good.get(1).toBuilder().setName("x").build());
    assertThatThrownBy(() -> TensorChunks.checkLayout(renamed, SMALL)).hasMessage("tensor 1 is named 'x', expected 'b'");
    List<TensorInfo> reshaped = new ArrayList<>(good);
    reshaped.set(0, good.get(0).toBuilder().clearShape().addShape(3).addShape(2).build());
    assertThatThrownBy(() -> TensorChunks.checkLayout(reshaped, SMALL)).hasMessage("tensor 'a' has shape [3, 2], expected [2, 3]");
    assertThatThrownBy(() -> TensorChunks.checkLayout(good.subList(0, 2), SMALL)).hasMessageContaining("missing 'c'");
  }

  @Test
  @DisplayName("NaN and infinities are found at their index; finite values pass")
  void nonFinite() {
    assertThat(TensorChunks.firstNonFinite(TensorChunks.dataChunks(smallTensors(), 64).next())).isEqualTo(-1);
    assertThat(TensorChunks.firstNonFinite(TensorChunks.dataChunks(new float[][] {{1, 2, Float.NaN}}, 64).next())).isEqualTo(2);
    assertThat(TensorChunks.firstNonFinite(TensorChunks.dataChunks(new float[][] {{Float.NEGATIVE_INFINITY}}, 64).next())).isZero();
    assertThat(TensorChunks.firstNonFinite(TensorChunks.dataChunks(new float[][] {{Float.MAX_VALUE, -0f}}, 64).next())).isEqualTo(-1);
  }
}
