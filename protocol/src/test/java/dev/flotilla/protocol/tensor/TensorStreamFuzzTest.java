package dev.flotilla.protocol.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.DisplayName;

/**
 * Fuzz harnesses of the tensor chunk codec: the checks and decoding the server runs on every
 * SubmitUpdate chunk, the assembly a party runs on FetchModel, and the encoder feeding both.
 *
 * <p>Inputs are what arrives from the network: a sequence of length-delimited protobuf messages
 * (gRPC hands the receiver one parsed message at a time). The committed inputs under
 * {@code TensorStreamFuzzTestInputs/} are replayed by every {@code mvn verify}; {@code bench/fuzz.sh}
 * fuzzes. Seeds are written by {@link TensorStreamSeeds}.
 */
class TensorStreamFuzzTest {

  /** Three tensors of 6, 5 and 1 values: small enough that a fuzzer crosses every boundary. */
  static final List<TensorSpec> LAYOUT = List.of(
      new TensorSpec("a", new long[] {2, 3}), new TensorSpec("b", new long[] {5}), new TensorSpec("c", new long[] {1}));
  static final int TOTAL = 12;
  /** Five floats: a chunk limit that does not divide the tensors, so chunks straddle them. */
  static final int MAX_CHUNK_BYTES = 20;

  @FuzzTest
  @DisplayName("the server's chunk checks refuse exactly the oversized, misaligned and overflowing chunks "
      + "(TensorStreamException only), and accepted values reach the sink in order, bit for bit, at the right tensor and offset")
  void updateStreamAsTheServerReadsIt(byte[] wire) throws IOException, TensorStreamException {
    TensorStreamDecoder decoder = new TensorStreamDecoder(LAYOUT, MAX_CHUNK_BYTES);
    int[] sunk = new int[TOTAL];
    long position = 0;
    for (UpdateChunk chunk : delimited(wire, UpdateChunk.parser())) {
      if (chunk.hasHeader()) {
        checkLayoutRefusesOnlyWithItsException(chunk.getHeader());
        continue;
      }
      ByteString data = chunk.getData();
      boolean fits = data.size() <= MAX_CHUNK_BYTES && data.size() % Float.BYTES == 0
          && position + data.size() / Float.BYTES <= TOTAL;
      if (!fits) {
        assertThatThrownBy(() -> decoder.check(data)).isInstanceOf(TensorStreamException.class);
        assertThatThrownBy(() -> decoder.accept(data, (t, o, v, n) -> { })).isInstanceOf(TensorStreamException.class);
        assertThat(decoder.valuesReceived()).isEqualTo(position); // a refused chunk consumes nothing
        continue;
      }
      int firstNonFinite = TensorChunks.firstNonFinite(data);
      assertThat(firstNonFinite).isEqualTo(referenceFirstNonFinite(data));
      if (firstNonFinite >= 0) {
        assertThat(decoder.describe(position + firstNonFinite)).isEqualTo(referenceDescribe(position + firstNonFinite));
      }
      long start = position;
      long[] expectedNext = {start};
      decoder.accept(data, (tensor, offset, values, count) -> {
        check(count > 0 && offset + count <= LAYOUT.get(tensor).numElements(),
            "sink got %d values at offset %d of tensor %d", count, offset, tensor);
        long at = globalIndex(tensor, offset);
        check(at == expectedNext[0], "values arrive in stream order: got index %d, expected %d", at, expectedNext[0]);
        for (int i = 0; i < count; i++) {
          sunk[(int) at + i] = Float.floatToRawIntBits(values.get(values.position() + i));
        }
        expectedNext[0] = at + count;
      });
      position += data.size() / Float.BYTES;
      assertThat(expectedNext[0]).isEqualTo(position);
      assertThat(decoder.valuesReceived()).isEqualTo(position);
      ByteBuffer raw = data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < data.size() / Float.BYTES; i++) {
        check(sunk[(int) start + i] == raw.getInt(i * Float.BYTES), "value %d differs from the wire", start + i);
      }
    }
    assertThat(decoder.isComplete()).isEqualTo(position == TOTAL);
    if (position != TOTAL) {
      assertThatThrownBy(decoder::requireComplete).isInstanceOf(TensorStreamException.class);
    }
  }

  @FuzzTest
  @DisplayName("a party assembling a FetchModel stream refuses a bad one with TensorStreamException only; "
      + "a stream it accepts yields the header's version and the data's values bit for bit")
  void modelStreamAsThePartyReadsIt(byte[] wire) throws IOException, TensorStreamException {
    ModelAssembler assembler = new ModelAssembler(LAYOUT);
    ByteString.Output data = ByteString.newOutput();
    Long version = null;
    try {
      for (ModelChunk chunk : delimited(wire, ModelChunk.parser())) {
        assembler.accept(chunk);
        if (chunk.hasHeader()) {
          version = chunk.getHeader().getModelVersion();
        } else {
          chunk.getData().writeTo(data);
        }
      }
    } catch (TensorStreamException refused) {
      assertThat(refused.getMessage()).isNotBlank();
      return;
    }
    if (!assembler.isComplete()) {
      assertThatThrownBy(assembler::tensors).isInstanceOf(TensorStreamException.class);
      return;
    }
    assertThat(assembler.modelVersion()).isEqualTo(version);
    ByteBuffer expected = data.toByteString().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(expected.remaining()).isEqualTo(TOTAL * Float.BYTES);
    for (float[] tensor : assembler.tensors()) {
      for (float value : tensor) {
        check(Float.floatToRawIntBits(value) == expected.getInt(), "value %d differs from the wire", expected.position() / 4);
      }
    }
  }

  @FuzzTest
  @DisplayName("any float32 values (NaN payloads, infinities, -0.0 included) survive encoding into update and "
      + "model streams, the wire and decoding bit for bit, in chunks within the limit")
  void encodeDecodeRoundTrip(byte[] input) throws IOException, TensorStreamException {
    if (input.length < 2) {
      return;
    }
    int chunkBytes = Float.BYTES * (1 + (input[0] & 0x0f)); // 4..64 bytes
    ByteBuffer values = ByteBuffer.wrap(input, 1, input.length - 1).slice().order(ByteOrder.LITTLE_ENDIAN);
    int count = values.remaining() / Float.BYTES;
    if (count == 0) {
      return;
    }
    // split the values into up to three tensors at points taken from the second byte
    int firstSize = 1 + (input[1] & 0xff) % count;
    List<TensorSpec> specs = new ArrayList<>();
    List<float[]> tensors = new ArrayList<>();
    int at = 0;
    for (int size : new int[] {firstSize, (count - firstSize) / 2, count - firstSize - (count - firstSize) / 2}) {
      if (size == 0) {
        continue;
      }
      float[] t = new float[size];
      for (int i = 0; i < size; i++) {
        t[i] = Float.intBitsToFloat(values.getInt((at + i) * Float.BYTES));
      }
      at += size;
      specs.add(new TensorSpec("t" + specs.size(), new long[] {size}));
      tensors.add(t);
    }
    float[][] weights = tensors.toArray(float[][]::new);

    List<ByteString> chunks = new ArrayList<>();
    TensorChunks.dataChunks(weights, chunkBytes).forEachRemaining(chunks::add);
    ByteString.Output concatenated = ByteString.newOutput();
    for (ByteString c : chunks) {
      check(c.size() > 0 && c.size() <= chunkBytes && c.size() % Float.BYTES == 0, "chunk of %d bytes", c.size());
      c.writeTo(concatenated);
    }
    ByteBuffer wireValues = concatenated.toByteString().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(wireValues.remaining()).isEqualTo(count * Float.BYTES);
    for (int i = 0; i < count; i++) {
      check(wireValues.getInt(i * Float.BYTES) == values.getInt(i * Float.BYTES), "value %d on the wire", i);
    }

    // the party's path: FetchModel messages through protobuf bytes into the assembler
    List<ModelChunk> model = new ArrayList<>();
    for (Iterator<ModelChunk> it = TensorChunks.modelStream(7, specs, weights); it.hasNext(); ) {
      model.add(ModelChunk.parseFrom(it.next().toByteArray()));
    }
    ModelAssembler.Decoded decoded = ModelAssembler.readAll(specs, model.iterator());
    assertThat(decoded.modelVersion()).isEqualTo(7);
    assertSameBits(decoded.tensors(), weights);

    // the server's path: SubmitUpdate messages through protobuf bytes into the decoder
    UpdateHeader header = UpdateHeader.newBuilder().setRound(1).setNumSamples(10).build();
    TensorStreamDecoder decoder = new TensorStreamDecoder(specs);
    float[][] received = new float[specs.size()][];
    for (int t = 0; t < specs.size(); t++) {
      received[t] = new float[specs.get(t).numElements()];
    }
    for (Iterator<UpdateChunk> it = TensorChunks.updateStream(header, specs, weights); it.hasNext(); ) {
      UpdateChunk chunk = UpdateChunk.parseFrom(it.next().toByteArray());
      if (chunk.hasHeader()) {
        TensorChunks.checkLayout(chunk.getHeader().getTensorsList(), specs);
        assertThat(chunk.getHeader().getNumSamples()).isEqualTo(10);
      } else {
        decoder.accept(chunk.getData(), (t, off, v, n) -> v.get(received[t], off, n));
      }
    }
    decoder.requireComplete();
    assertSameBits(received, weights);
  }

  private static void checkLayoutRefusesOnlyWithItsException(UpdateHeader header) {
    try {
      TensorChunks.checkLayout(header.getTensorsList(), LAYOUT);
    } catch (TensorStreamException refused) {
      assertThat(refused.getMessage()).isNotBlank();
    }
  }

  private static void assertSameBits(float[][] actual, float[][] expected) {
    assertThat(actual.length).isEqualTo(expected.length);
    for (int t = 0; t < expected.length; t++) {
      assertThat(actual[t].length).isEqualTo(expected[t].length);
      for (int i = 0; i < expected[t].length; i++) {
        check(Float.floatToRawIntBits(actual[t][i]) == Float.floatToRawIntBits(expected[t][i]),
            "tensor %d value %d: %08x, expected %08x", t, i, Float.floatToRawIntBits(actual[t][i]),
            Float.floatToRawIntBits(expected[t][i]));
      }
    }
  }

  /** An assertion for the inner loops, where AssertJ's per-call cost would dominate a fuzzing run. */
  private static void check(boolean condition, String message, Object... args) {
    if (!condition) {
      throw new AssertionError(String.format(message, args));
    }
  }

  /**
   * The messages of a length-delimited stream, up to the first that is cut short or does not parse
   * (gRPC would close the call there; what came before still counts). Each message is parsed from
   * its own byte array, as gRPC's marshaller does for messages up to 4 MiB: protobuf-java 3.25's
   * stream decoder (parseDelimitedFrom) throws StringIndexOutOfBoundsException on some truncated
   * strings instead of InvalidProtocolBufferException, a bug of the library that gRPC contains.
   */
  static <T> List<T> delimited(byte[] wire, com.google.protobuf.Parser<T> parser) {
    List<T> out = new ArrayList<>();
    CodedInputStream in = CodedInputStream.newInstance(wire);
    try {
      while (!in.isAtEnd()) {
        int length = in.readRawVarint32();
        if (length < 0 || length > wire.length - in.getTotalBytesRead()) {
          break;
        }
        out.add(parser.parseFrom(in.readRawBytes(length)));
      }
    } catch (IOException refused) {
      // InvalidProtocolBufferException: the transport refuses the call from here on
    }
    return out;
  }

  private static long globalIndex(int tensor, int offset) {
    long index = offset;
    for (int t = 0; t < tensor; t++) {
      index += LAYOUT.get(t).numElements();
    }
    return index;
  }

  private static String referenceDescribe(long index) {
    long start = 0;
    for (TensorSpec spec : LAYOUT) {
      if (index < start + spec.numElements()) {
        return "tensor '" + spec.name() + "' element " + (index - start);
      }
      start += spec.numElements();
    }
    return "value " + index + " (beyond the model)";
  }

  private static int referenceFirstNonFinite(ByteString data) {
    ByteBuffer buffer = data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < data.size() / Float.BYTES; i++) {
      if (!Float.isFinite(buffer.getFloat(i * Float.BYTES))) {
        return i;
      }
    }
    return -1;
  }
}
