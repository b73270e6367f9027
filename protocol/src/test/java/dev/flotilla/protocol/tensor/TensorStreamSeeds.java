package dev.flotilla.protocol.tensor;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.TensorInfo;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;

/**
 * Writes the seed inputs of {@link TensorStreamFuzzTest} with the codec itself. Run from the
 * repository root after changing the wire format:
 * {@code java -cp protocol/target/test-classes:protocol/target/classes:$(cat cp.txt) dev.flotilla.protocol.tensor.TensorStreamSeeds protocol/src/test/resources}
 */
final class TensorStreamSeeds {

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0], "dev/flotilla/protocol/tensor/TensorStreamFuzzTestInputs");
    List<TensorSpec> layout = TensorStreamFuzzTest.LAYOUT;
    float[][] weights = {{1, -2, 3.5f, 0, -0f, 6}, {7, 8, 9, 10, 11}, {12}};
    UpdateHeader header = UpdateHeader.newBuilder().setRound(3).setNumSamples(120).putMetrics("loss", 0.25).build();

    Path server = dir.resolve("updateStreamAsTheServerReadsIt");
    write(server.resolve("complete-update"), delimited(updateStream(header, layout, weights, TensorStreamFuzzTest.MAX_CHUNK_BYTES)));
    float[][] withNan = {{1, 2, 3, 4, 5, Float.NaN}, {7, 8, Float.POSITIVE_INFINITY, 10, 11}, {12}};
    write(server.resolve("nan-and-infinity"), delimited(updateStream(header, layout, withNan, TensorStreamFuzzTest.MAX_CHUNK_BYTES)));
    write(server.resolve("wrong-layout-then-misaligned-chunk"), delimited(List.of(
        UpdateChunk.newBuilder().setHeader(header.toBuilder()
            .addTensors(TensorInfo.newBuilder().setName("a").addShape(3).addShape(2))).build(),
        UpdateChunk.newBuilder().setData(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6})).build())));
    write(server.resolve("too-many-values"), delimited(List.of(
        UpdateChunk.newBuilder().setData(floats(new float[5])).build(),
        UpdateChunk.newBuilder().setData(floats(new float[5])).build(),
        UpdateChunk.newBuilder().setData(floats(new float[3])).build())));

    Path party = dir.resolve("modelStreamAsThePartyReadsIt");
    write(party.resolve("complete-model"), delimited(modelStream(9, layout, weights)));
    write(party.resolve("data-before-header"), delimited(List.of(
        ModelChunk.newBuilder().setData(floats(weights[0])).build())));
    List<ModelChunk> twoHeaders = new java.util.ArrayList<>(modelStream(9, layout, weights));
    twoHeaders.add(1, twoHeaders.get(0));
    write(party.resolve("second-header"), delimited(twoHeaders));

    Path roundTrip = dir.resolve("encodeDecodeRoundTrip");
    ByteBuffer special = ByteBuffer.allocate(1 + 1 + 6 * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    special.put((byte) 1).put((byte) 2);
    special.putInt(0x7fc00001).putFloat(-0f).putFloat(Float.NEGATIVE_INFINITY).putFloat(Float.MIN_VALUE)
        .putInt(0xff800123).putFloat(Float.MAX_VALUE);
    write(roundTrip.resolve("special-values"), special.array());
  }

  private static List<UpdateChunk> updateStream(UpdateHeader header, List<TensorSpec> specs, float[][] weights, int chunkBytes) {
    List<UpdateChunk> out = new java.util.ArrayList<>();
    out.add(UpdateChunk.newBuilder().setHeader(header.toBuilder().addAllTensors(TensorChunks.infos(specs))).build());
    TensorChunks.dataChunks(weights, chunkBytes).forEachRemaining(d -> out.add(UpdateChunk.newBuilder().setData(d).build()));
    return out;
  }

  private static List<ModelChunk> modelStream(long version, List<TensorSpec> specs, float[][] weights) {
    List<ModelChunk> out = new java.util.ArrayList<>();
    for (Iterator<ModelChunk> it = TensorChunks.modelStream(version, specs, weights); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }

  private static ByteString floats(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return ByteString.copyFrom(b);
  }

  private static byte[] delimited(List<? extends MessageLite> messages) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (MessageLite m : messages) {
      m.writeDelimitedTo(out);
    }
    return out.toByteArray();
  }

  private static void write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
  }

  private TensorStreamSeeds() {}
}
