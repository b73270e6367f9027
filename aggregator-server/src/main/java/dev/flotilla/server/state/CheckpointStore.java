package dev.flotilla.server.state;

import com.google.gson.stream.JsonWriter;
import dev.flotilla.common.AtomicFiles;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.server.model.GlobalModel;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;

/**
 * The checkpoint file {@code <state-dir>/checkpoint.bin}, replaced atomically after every round.
 * Layout (format 1, big-endian ints as {@link DataOutputStream} writes them):
 * <pre>
 *   "FLOTILLA-CKPT"  int format=1
 *   int n  n bytes of UTF-8 JSON metadata (everything but tensors; "layout" lists each tensor's
 *          name, shape and dtype, absent in checkpoints written before it was recorded; "privacy" is a
 *          DP job's ledger: delta, budget and the settings of each run of rounds, else null or absent)
 *   tensors: the global model
 *   int groups  groups x (writeUTF name, tensors): the strategy's named state, shaped like the model
 *   long CRC32 of every byte before it
 * where tensors = int count, count x (int n, n float32 little-endian)
 * </pre>
 * Reading verifies before it trusts: see {@link CheckpointReader}.
 */
public final class CheckpointStore {

  public static final String FILE_NAME = "checkpoint.bin";
  static final byte[] MAGIC = "FLOTILLA-CKPT".getBytes(StandardCharsets.US_ASCII);
  static final int FORMAT_VERSION = 1;
  private static final int BUFFER_BYTES = 1 << 16;

  private final Path file;
  /** Round records as serialized by earlier saves, in history order (see {@link #metadataJson}). */
  private final List<SerializedRecord> historyJson = new java.util.ArrayList<>();

  private record SerializedRecord(RoundRecord record, String json) {}

  public CheckpointStore(Path stateDir) {
    this.file = stateDir.resolve(FILE_NAME);
  }

  public Path file() {
    return file;
  }

  public void save(Checkpoint checkpoint) throws IOException {
    AtomicFiles.writeStream(file, raw -> {
      CheckedOutputStream checked = new CheckedOutputStream(raw, new CRC32());
      DataOutputStream out = new DataOutputStream(checked);
      out.write(MAGIC);
      out.writeInt(FORMAT_VERSION);
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("job_id", checkpoint.jobId());
      meta.put("model", checkpoint.model());
      meta.put("layout", checkpoint.layout().isEmpty() ? null : CheckpointLayout.encode(checkpoint.layout()));
      meta.put("strategy", checkpoint.strategy());
      meta.put("rounds_total", checkpoint.roundsTotal());
      meta.put("rounds_completed", checkpoint.roundsCompleted());
      meta.put("model_version", checkpoint.modelVersion());
      meta.put("parties", checkpoint.parties());
      meta.put("final_evaluations", checkpoint.finalEvaluations());
      meta.put("bytes_up", checkpoint.bytesUp());
      meta.put("bytes_down", checkpoint.bytesDown());
      meta.put("privacy", checkpoint.privacy());
      byte[] json = metadataJson(meta, checkpoint.history()).getBytes(StandardCharsets.UTF_8);
      out.writeInt(json.length);
      out.write(json);
      ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      writeModel(out, checkpoint.global(), buffer);
      out.writeInt(checkpoint.strategyState().size());
      for (Map.Entry<String, float[][]> e : checkpoint.strategyState().entrySet()) {
        out.writeUTF(e.getKey());
        writeTensors(out, e.getValue(), buffer);
      }
      out.flush();
      long crc = checked.getChecksum().getValue();
      new DataOutputStream(raw).writeLong(crc);
    });
  }

  /**
   * The metadata object with its "history": each round's record is serialized once, when it first
   * appears in a checkpoint, and spliced in as it is afterwards (records never change once made), so
   * a checkpoint after round n does not serialize n records again.
   */
  private String metadataJson(Map<String, Object> meta, List<RoundRecord> history) throws IOException {
    StringWriter text = new StringWriter();
    JsonWriter out = Json.GSON.newJsonWriter(text);
    out.beginObject();
    for (Map.Entry<String, Object> e : meta.entrySet()) {
      out.name(e.getKey());
      Json.GSON.toJson(e.getValue(), e.getValue() == null ? Object.class : e.getValue().getClass(), out);
    }
    out.name("history");
    out.beginArray();
    synchronized (historyJson) {
      for (int i = 0; i < history.size(); i++) {
        RoundRecord record = history.get(i);
        if (i >= historyJson.size() || historyJson.get(i).record() != record) {
          historyJson.subList(i, historyJson.size()).clear(); // another history (a test, a restart): start over here
          historyJson.add(new SerializedRecord(record, Json.GSON.toJson(record)));
        }
        out.jsonValue(historyJson.get(i).json());
      }
    }
    out.endArray();
    out.endObject();
    out.flush();
    return text.toString();
  }

  /**
   * The last checkpoint, or empty when the state directory has none. Its global model is read from
   * the checkpoint file when it is needed (never loaded into memory): the file stays open until the
   * model is closed, so it is read consistently even after a newer checkpoint replaced it.
   *
   * @throws InvalidCheckpointException when the file is there but is no valid checkpoint: the
   *     message names the file and what is wrong (never silently ignored or replaced)
   * @throws IOException when the file cannot be read
   */
  public Optional<Checkpoint> load() throws IOException {
    if (Files.notExists(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    if (!Files.isRegularFile(file)) {
      // a directory, a dangling link, or a file we may not even look at: never "no checkpoint"
      throw new InvalidCheckpointException(file, Files.exists(file) ? "is not a regular file"
          : "cannot be read (a dangling symbolic link, or no permission to look at it)");
    }
    return Optional.of(CheckpointReader.read(file));
  }

  /** The global model as count, then per tensor its length and its values, streamed block by block from wherever it lives. */
  private static void writeModel(DataOutputStream out, GlobalModel model, ByteBuffer buffer) throws IOException {
    List<TensorSpec> specs = model.specs();
    float[] block = new float[BUFFER_BYTES / Float.BYTES];
    out.writeInt(specs.size());
    for (int t = 0; t < specs.size(); t++) {
      int length = specs.get(t).numElements();
      out.writeInt(length);
      for (int done = 0; done < length; ) {
        int n = Math.min(length - done, block.length);
        model.read(t, done, block, 0, n);
        writeFloats(out, block, 0, n, buffer);
        done += n;
      }
    }
  }

  /** Tensors as count, then per tensor its length and its float32 values, through one small buffer. */
  private static void writeTensors(DataOutputStream out, float[][] tensors, ByteBuffer buffer) throws IOException {
    out.writeInt(tensors.length);
    for (float[] t : tensors) {
      out.writeInt(t.length);
      for (int done = 0; done < t.length; ) {
        int n = Math.min(t.length - done, BUFFER_BYTES / Float.BYTES);
        writeFloats(out, t, done, n, buffer);
        done += n;
      }
    }
  }

  private static void writeFloats(DataOutputStream out, float[] values, int from, int n, ByteBuffer buffer)
      throws IOException {
    buffer.clear();
    buffer.asFloatBuffer().put(values, from, n);
    out.write(buffer.array(), 0, n * Float.BYTES);
  }
}
