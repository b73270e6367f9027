package dev.flotilla.server.state;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The checkpoint file {@code <state-dir>/checkpoint.bin}, replaced atomically after every round.
 * Layout: magic, format version, length-prefixed JSON metadata (everything but tensors), the global
 * model, the strategy's named tensor groups, then a CRC32 of all preceding bytes.
 */
public final class CheckpointStore {

  public static final String FILE_NAME = "checkpoint.bin";
  private static final byte[] MAGIC = "FLOTILLA-CKPT".getBytes(StandardCharsets.US_ASCII);
  private static final int FORMAT_VERSION = 1;

  private final Path file;

  public CheckpointStore(Path stateDir) {
    this.file = stateDir.resolve(FILE_NAME);
  }

  public Path file() {
    return file;
  }

  public void save(Checkpoint checkpoint) throws IOException {
    AtomicFiles.write(file, raw -> {
      CheckedOutputStream checked = new CheckedOutputStream(raw, new CRC32());
      DataOutputStream out = new DataOutputStream(checked);
      out.write(MAGIC);
      out.writeInt(FORMAT_VERSION);
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("job_id", checkpoint.jobId());
      meta.put("model", checkpoint.model());
      meta.put("strategy", checkpoint.strategy());
      meta.put("rounds_total", checkpoint.roundsTotal());
      meta.put("rounds_completed", checkpoint.roundsCompleted());
      meta.put("model_version", checkpoint.modelVersion());
      meta.put("parties", checkpoint.parties());
      meta.put("history", checkpoint.history());
      meta.put("final_evaluations", checkpoint.finalEvaluations());
      meta.put("bytes_up", checkpoint.bytesUp());
      meta.put("bytes_down", checkpoint.bytesDown());
      byte[] json = Json.GSON.toJson(meta).getBytes(StandardCharsets.UTF_8);
      out.writeInt(json.length);
      out.write(json);
      writeTensors(out, checkpoint.global());
      out.writeInt(checkpoint.strategyState().size());
      for (Map.Entry<String, float[][]> e : checkpoint.strategyState().entrySet()) {
        out.writeUTF(e.getKey());
        writeTensors(out, e.getValue());
      }
      out.flush();
      long crc = checked.getChecksum().getValue();
      new DataOutputStream(raw).writeLong(crc);
    });
  }

  /**
   * The last checkpoint, or empty when the state directory has none.
   *
   * @throws IOException when the file exists but is not a valid checkpoint (never silently ignored)
   */
  public Optional<Checkpoint> load() throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try (InputStream raw = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      CheckedInputStream checked = new CheckedInputStream(raw, new CRC32());
      DataInputStream in = new DataInputStream(checked);
      byte[] magic = in.readNBytes(MAGIC.length);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new IOException(file + " is not a Flotilla checkpoint");
      }
      int version = in.readInt();
      if (version != FORMAT_VERSION) {
        throw new IOException(file + " has checkpoint format " + version + ", this server reads " + FORMAT_VERSION);
      }
      byte[] json = in.readNBytes(in.readInt());
      float[][] global = readTensors(in);
      int groups = in.readInt();
      Map<String, float[][]> strategyState = new LinkedHashMap<>();
      for (int i = 0; i < groups; i++) {
        strategyState.put(in.readUTF(), readTensors(in));
      }
      long expected = checked.getChecksum().getValue();
      long stored = new DataInputStream(raw).readLong();
      if (stored != expected) {
        throw new IOException(file + " is corrupt (CRC mismatch)");
      }
      Meta meta = Json.GSON.fromJson(new String(json, StandardCharsets.UTF_8), Meta.class);
      return Optional.of(new Checkpoint(meta.jobId, meta.model, meta.strategy, meta.roundsTotal, meta.roundsCompleted,
          meta.modelVersion, global, strategyState,
          meta.parties == null ? java.util.List.of() : meta.parties,
          meta.history == null ? java.util.List.of() : meta.history,
          meta.finalEvaluations == null ? Map.of() : meta.finalEvaluations,
          meta.bytesUp, meta.bytesDown));
    } catch (java.io.EOFException e) {
      throw new IOException(file + " is truncated", e);
    }
  }

  private static final class Meta {
    String jobId;
    String model;
    String strategy;
    int roundsTotal;
    int roundsCompleted;
    long modelVersion;
    java.util.List<Checkpoint.PartyRecord> parties;
    java.util.List<dev.flotilla.server.round.RoundRecord> history;
    Map<String, Map<String, Double>> finalEvaluations;
    long bytesUp;
    long bytesDown;
  }

  private static void writeTensors(DataOutputStream out, float[][] tensors) throws IOException {
    out.writeInt(tensors.length);
    for (float[] t : tensors) {
      out.writeInt(t.length);
      ByteBuffer buffer = ByteBuffer.allocate(t.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      buffer.asFloatBuffer().put(t);
      out.write(buffer.array());
    }
  }

  private static float[][] readTensors(DataInputStream in) throws IOException {
    float[][] tensors = new float[in.readInt()][];
    for (int i = 0; i < tensors.length; i++) {
      int n = in.readInt();
      byte[] bytes = in.readNBytes(n * Float.BYTES);
      if (bytes.length != n * Float.BYTES) {
        throw new java.io.EOFException();
      }
      tensors[i] = new float[n];
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(tensors[i]);
    }
    return tensors;
  }

}
