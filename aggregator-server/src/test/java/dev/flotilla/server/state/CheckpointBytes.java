package dev.flotilla.server.state;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Writes checkpoint files field by field in format 1 (see {@link CheckpointStore}), including what
 * no server writes: lying lengths, wrong checksums, missing or extra bytes.
 */
final class CheckpointBytes {
  static final String VALID_JSON = "{\"job_id\":\"job7\",\"model\":\"cnn\",\"strategy\":\"fedavg\",\"rounds_total\":5,"
      + "\"rounds_completed\":1,\"model_version\":1,\"parties\":[{\"name\":\"a\",\"index\":0,\"num_samples\":100}],"
      + "\"history\":[],\"final_evaluations\":{},\"bytes_up\":10,\"bytes_down\":20}";

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final DataOutputStream out = new DataOutputStream(bytes);

  /** Magic and format version 1. */
  static CheckpointBytes header() {
    return new CheckpointBytes().raw("FLOTILLA-CKPT".getBytes(StandardCharsets.US_ASCII)).integer(1);
  }

  /** Header, the given JSON, a global model of the given tensors and no strategy state. */
  static CheckpointBytes withModel(String json, float[]... tensors) {
    return header().json(json).tensors(tensors).integer(0);
  }

  CheckpointBytes json(String json) {
    byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
    return integer(utf8.length).raw(utf8);
  }

  CheckpointBytes tensors(float[]... tensors) {
    integer(tensors.length);
    for (float[] t : tensors) {
      integer(t.length);
      ByteBuffer b = ByteBuffer.allocate(t.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(t);
      raw(b.array());
    }
    return this;
  }

  CheckpointBytes name(String name) {
    try {
      out.writeUTF(name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  CheckpointBytes integer(int value) {
    try {
      out.writeInt(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  CheckpointBytes raw(byte[] raw) {
    bytes.writeBytes(raw);
    return this;
  }

  /** The content followed by its correct CRC32 trailer: a file the writer could have made. */
  byte[] withChecksum() {
    byte[] content = bytes.toByteArray();
    return ByteBuffer.allocate(content.length + Long.BYTES).put(content).putLong(crc(content)).array();
  }

  /** The content followed by a CRC32 trailer that does not match it. */
  byte[] withWrongChecksum() {
    byte[] content = bytes.toByteArray();
    return ByteBuffer.allocate(content.length + Long.BYTES).put(content).putLong(crc(content) ^ 0x5a5a5a5aL).array();
  }

  static long crc(byte[] content) {
    CRC32 crc = new CRC32();
    crc.update(content);
    return crc.getValue();
  }

  /** A valid file with its last {@code n} bytes cut off. */
  static byte[] truncate(byte[] file, int n) {
    return Arrays.copyOf(file, file.length - n);
  }
}
