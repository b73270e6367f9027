package dev.flotilla.protocol.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes the seed inputs of {@link SafetensorsFuzzTest}, valid files with the codec itself. Run from
 * the repository root after changing the format:
 * {@code java -cp protocol/target/test-classes:protocol/target/classes:PROTOBUF_JAR dev.flotilla.protocol.model.SafetensorsSeeds protocol/src/test/resources}
 */
final class SafetensorsSeeds {

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0], "dev/flotilla/protocol/model/SafetensorsFuzzTestInputs");
    Path tmp = Files.createTempDirectory("seeds");
    Path valid = tmp.resolve("valid.safetensors");
    Safetensors.write(valid, List.of(
        new TensorSpec("w", new long[] {2, 2}),
        new TensorSpec("h", new long[] {2}, DType.F16),
        new TensorSpec("b", new long[] {1}, DType.BF16),
        new TensorSpec("d", new long[] {1}, DType.F64),
        new TensorSpec("n", new long[] {}, DType.I64),
        new TensorSpec("i", new long[] {2}, DType.I32)),
        new float[][] {{1, -2, 0.5f, 3}, {1, -0.25f}, {2}, {0.1f}, {7}, {3, -4}}, Map.of("flotilla.model", "mlp"));
    byte[] file = Files.readAllBytes(valid);
    int headerLength = (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
    byte[] header = Arrays.copyOfRange(file, 8, 8 + headerLength);
    byte[] data = Arrays.copyOfRange(file, 8 + headerLength, file.length);

    Path asIs = dir.resolve("safetensorsFileAsIs");
    Files.createDirectories(asIs);
    Files.write(asIs.resolve("every-dtype"), file);
    Files.write(asIs.resolve("truncated"), Arrays.copyOf(file, file.length - 3));
    byte[] huge = file.clone();
    ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
    Files.write(asIs.resolve("header-length-beyond-the-limit"), huge);

    Path split = dir.resolve("safetensorsHeaderAndData");
    Files.createDirectories(split);
    Files.write(split.resolve("every-dtype"), join(header, data));
    Files.write(split.resolve("gap"), join("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]));
    Files.write(split.resolve("unsupported-dtype"), join("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]));
    Files.write(split.resolve("escapes-and-metadata"), join("{\"__metadata__\":{\"k\\u00e9\":\"v\\n\\\"\"},"
        + "\"\\ud83d\\ude00\":{\"dtype\":\"I32\",\"shape\":[1,1],\"data_offsets\":[0,4]}}", new byte[] {1, 0, 0, 0}));
    Files.write(split.resolve("half-infinity"), join("{\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", new byte[] {0, 0x7c}));
  }

  private static byte[] join(String header, byte[] data) {
    return join(header.getBytes(StandardCharsets.UTF_8), data);
  }

  private static byte[] join(byte[] header, byte[] data) {
    return ByteBuffer.allocate(header.length + 1 + data.length).put(header).put((byte) 0).put(data).array();
  }
}
