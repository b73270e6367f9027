package dev.flotilla.server.state;

import com.google.gson.JsonParseException;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.model.FileModel;
import dev.flotilla.server.privacy.PrivacyBudget;
import dev.flotilla.server.privacy.PrivacyLedger;
import dev.flotilla.server.model.GlobalModel;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Reads one checkpoint file without trusting it: the header first, then the CRC32 streamed over the
 * whole file (never the whole file in memory), and only then the content, with every length and
 * count checked against the bytes that remain before anything is allocated. So an input of N bytes
 * costs O(N) memory at most, whatever its length fields say; the global model costs none (its
 * values are read from the file when needed, see {@link FileModel}). Layout: see {@link CheckpointStore}.
 */
final class CheckpointReader {

  /** Largest metadata JSON read (a job of thousands of rounds and parties stays far below it). */
  static final int MAX_METADATA_BYTES = 16 << 20;
  /** Largest name of a strategy state group ("m", "v" today). */
  static final int MAX_GROUP_NAME_BYTES = 256;
  /** Most strategy state groups (two today). */
  static final int MAX_GROUPS = 64;

  static final int HEADER_BYTES = CheckpointStore.MAGIC.length + Integer.BYTES;
  static final int TRAILER_BYTES = Long.BYTES;
  /** Header, metadata length, tensor count, group count, checksum. */
  static final int MIN_FILE_BYTES = HEADER_BYTES + 3 * Integer.BYTES + TRAILER_BYTES;
  /** The least a tensor takes: its length and one value (a tensor has at least one value). */
  private static final int MIN_TENSOR_BYTES = Integer.BYTES + Float.BYTES;
  /** The least a strategy group takes: an empty name and a tensor count. */
  private static final int MIN_GROUP_BYTES = Short.BYTES + Integer.BYTES;
  private static final int BUFFER_BYTES = 1 << 16;

  private final Path file;
  private final FileChannel channel;
  private final long size;

  private CheckpointReader(Path file, FileChannel channel) throws IOException {
    this.file = file;
    this.channel = channel;
    this.size = channel.size();
  }

  /**
   * Verifies and parses the checkpoint in {@code file}, which must exist. The returned global model
   * reads its values from the file through the channel opened here, which it owns (closing the model
   * closes it).
   */
  static Checkpoint read(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      CheckpointReader reader = new CheckpointReader(file, channel);
      reader.checkHeader();
      reader.verifyChecksum();
      return reader.parse();
    } catch (EOFException e) {
      channel.close();
      // every length was checked against the file's size, so only a file shrinking under us ends here
      throw new InvalidCheckpointException(file, "is truncated (it became shorter while being read)", e);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private void checkHeader() throws IOException {
    if (size == 0) {
      throw new InvalidCheckpointException(file, "is empty (0 bytes)");
    }
    ByteBuffer head = readAt(0, (int) Math.min(size, HEADER_BYTES));
    byte[] start = new byte[Math.min(head.remaining(), CheckpointStore.MAGIC.length)];
    head.get(start);
    if (!Arrays.equals(start, Arrays.copyOf(CheckpointStore.MAGIC, start.length))) {
      throw new InvalidCheckpointException(file, "is not a Flotilla checkpoint (it does not start with "
          + new String(CheckpointStore.MAGIC, StandardCharsets.US_ASCII) + ")");
    }
    if (size < HEADER_BYTES) {
      throw truncated("its " + size + " bytes end inside the header");
    }
    int version = head.getInt();
    if (version != CheckpointStore.FORMAT_VERSION) {
      throw new InvalidCheckpointException(file, "has checkpoint format " + Integer.toUnsignedString(version)
          + "; this server reads format " + CheckpointStore.FORMAT_VERSION);
    }
    if (size < MIN_FILE_BYTES) {
      throw truncated("it has " + size + " bytes, the smallest checkpoint has " + MIN_FILE_BYTES);
    }
  }

  /** Streams the CRC32 over everything before the trailer and compares it with the trailer. */
  private void verifyChecksum() throws IOException {
    long content = size - TRAILER_BYTES;
    CRC32 crc = new CRC32();
    ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
    for (long at = 0; at < content; ) {
      buffer.clear().limit((int) Math.min(BUFFER_BYTES, content - at));
      int n = channel.read(buffer, at);
      if (n < 0) {
        throw new EOFException();
      }
      buffer.flip();
      crc.update(buffer);
      at += n;
    }
    long stored = readAt(content, TRAILER_BYTES).getLong();
    if (stored != crc.getValue()) {
      String structure = structuralProblem();
      throw new InvalidCheckpointException(file, structure != null
          ? structure + "; its CRC32 does not match either"
          : "is corrupt: the CRC32 of its first " + content + " bytes is " + String.format("%08x", crc.getValue())
              + ", the file records " + String.format("%016x", stored));
    }
  }

  /**
   * Why the lengths in the file do not add up to its size (truncated, or bytes past the content),
   * or null when they do: said when the checksum fails, since "truncated" helps more than "corrupt".
   */
  private String structuralProblem() throws IOException {
    try {
      new Content(false).read();
      return null;
    } catch (InvalidCheckpointException e) {
      return e.problem();
    }
  }

  private Checkpoint parse() throws IOException {
    return new Content(true).read();
  }

  private ByteBuffer readAt(long position, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new EOFException();
      }
    }
    return buffer.flip();
  }

  private InvalidCheckpointException truncated(String detail) {
    return new InvalidCheckpointException(file, "is truncated: " + detail);
  }

  /**
   * The content between header and checksum. With {@code materialize} false it only walks the
   * lengths (nothing is allocated), to tell a truncated file from a corrupt one.
   */
  private final class Content {
    private final boolean materialize;
    private final DataInputStream in;
    private final byte[] chunk;
    /** Bytes left before the checksum trailer. */
    private long remaining = size - HEADER_BYTES - TRAILER_BYTES;

    Content(boolean materialize) throws IOException {
      this.materialize = materialize;
      channel.position(HEADER_BYTES);
      // not closed: closing it would close the channel, which read() closes
      this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), BUFFER_BYTES));
      this.chunk = materialize ? new byte[BUFFER_BYTES] : null;
    }

    Checkpoint read() throws IOException {
      int jsonLength = length("the metadata JSON", "bytes", 1, 1, MAX_METADATA_BYTES);
      byte[] json = bytes(jsonLength);
      Positions global = positions("the global model");
      int groups = length("the strategy state", "groups", MIN_GROUP_BYTES, 0, MAX_GROUPS);
      Map<String, float[][]> strategyState = new LinkedHashMap<>();
      for (int g = 0; g < groups; g++) {
        String name = groupName(g);
        float[][] tensors = tensors("strategy state '" + name + "'");
        if (materialize && strategyState.put(name, tensors) != null) {
          throw new InvalidCheckpointException(file, "holds strategy state '" + name + "' twice");
        }
      }
      if (remaining != 0) {
        throw new InvalidCheckpointException(file, "is oversized: " + remaining
            + " bytes follow the strategy state where the checksum should start");
      }
      if (!materialize) {
        return null;
      }
      checkShapedLikeGlobal(global.lengths, strategyState);
      Metadata meta = Metadata.decode(file, json);
      List<TensorSpec> layout = CheckpointLayout.decode(file, meta.layout, global.lengths);
      FileModel model = FileModel.section(meta.modelVersion, layout.isEmpty() ? legacySpecs(global.lengths) : layout,
          file, channel, global.starts);
      return meta.toCheckpoint(layout, model, strategyState);
    }

    /**
     * Where each tensor of a model section starts in the file and how many values it has; the
     * values themselves are skipped (they are read when needed, never all at once).
     */
    private Positions positions(String what) throws IOException {
      int count = length(what, "tensors", MIN_TENSOR_BYTES, 0, Integer.MAX_VALUE);
      Positions positions = new Positions(materialize ? new long[count] : null, materialize ? new int[count] : null);
      for (int t = 0; t < count; t++) {
        int values = length("tensor " + t + " of " + what, "float32 values", Float.BYTES, 1, Integer.MAX_VALUE - 8);
        if (materialize) {
          positions.starts[t] = size - TRAILER_BYTES - remaining;
          positions.lengths[t] = values;
        }
        remaining -= (long) values * Float.BYTES;
        in.skipNBytes((long) values * Float.BYTES);
      }
      return positions;
    }

    /**
     * A count or length field: between min and max, and at most what the remaining bytes can hold
     * at bytesEach apiece (so the array it sizes is never larger than the file).
     */
    private int length(String what, String unit, int bytesEach, int min, int max) throws IOException {
      int value = readInt(what);
      if (value < min || value > max) {
        throw new InvalidCheckpointException(file, "is corrupt: " + what + " declares " + value + " " + unit
            + " (allowed: " + min + " to " + max + ")");
      }
      if ((long) value * bytesEach > remaining) {
        throw new InvalidCheckpointException(file, "is truncated or corrupt: " + what + " declares " + value + " "
            + unit + (bytesEach == 1 ? "" : " (at least " + bytesEach + " bytes each)") + " but only " + remaining
            + " bytes remain before the checksum");
      }
      return value;
    }

    private int readInt(String what) throws IOException {
      if (remaining < Integer.BYTES) {
        throw truncated("it ends where the length of " + what + " should be");
      }
      remaining -= Integer.BYTES;
      return in.readInt();
    }

    private byte[] bytes(int n) throws IOException {
      remaining -= n;
      if (!materialize) {
        in.skipNBytes(n);
        return null;
      }
      byte[] bytes = new byte[n];
      in.readFully(bytes);
      return bytes;
    }

    private float[][] tensors(String what) throws IOException {
      int count = length(what, "tensors", MIN_TENSOR_BYTES, 0, Integer.MAX_VALUE);
      float[][] tensors = materialize ? new float[count][] : null;
      for (int t = 0; t < count; t++) {
        String tensor = "tensor " + t + " of " + what;
        int values = length(tensor, "float32 values", Float.BYTES, 1, Integer.MAX_VALUE - 8);
        remaining -= (long) values * Float.BYTES;
        if (materialize) {
          tensors[t] = floats(values);
        } else {
          in.skipNBytes((long) values * Float.BYTES);
        }
      }
      return tensors;
    }

    private float[] floats(int n) throws IOException {
      float[] values = new float[n];
      ByteBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
      for (int done = 0; done < n; ) {
        int k = Math.min(n - done, BUFFER_BYTES / Float.BYTES);
        in.readFully(chunk, 0, k * Float.BYTES);
        view.clear();
        view.asFloatBuffer().get(values, done, k);
        done += k;
      }
      return values;
    }

    /** A name as DataOutput.writeUTF wrote it: unsigned 16-bit length, then modified UTF-8. */
    private String groupName(int index) throws IOException {
      String what = "the name of strategy state group " + index;
      if (remaining < Short.BYTES) {
        throw truncated("it ends where " + what + " should be");
      }
      remaining -= Short.BYTES;
      int length = in.readUnsignedShort();
      if (length > MAX_GROUP_NAME_BYTES) {
        throw new InvalidCheckpointException(file, "is corrupt: " + what + " declares " + length
            + " bytes (at most " + MAX_GROUP_NAME_BYTES + ")");
      }
      if (length > remaining) {
        throw new InvalidCheckpointException(file, "is truncated or corrupt: " + what + " declares " + length
            + " bytes but only " + remaining + " bytes remain before the checksum");
      }
      byte[] encoded = bytes(length);
      if (!materialize) {
        return "#" + index;
      }
      ByteBuffer prefixed = ByteBuffer.allocate(Short.BYTES + length).putShort((short) length).put(encoded);
      try {
        return new DataInputStream(new ByteArrayInputStream(prefixed.array())).readUTF();
      } catch (IOException e) {
        throw new InvalidCheckpointException(file, "is corrupt: " + what + " is not valid modified UTF-8", e);
      }
    }

    private void checkShapedLikeGlobal(int[] global, Map<String, float[][]> strategyState)
        throws InvalidCheckpointException {
      for (Map.Entry<String, float[][]> group : strategyState.entrySet()) {
        float[][] tensors = group.getValue();
        boolean same = tensors.length == global.length;
        for (int t = 0; same && t < tensors.length; t++) {
          same = tensors[t].length == global[t];
        }
        if (!same) {
          throw new InvalidCheckpointException(file, "is corrupt: strategy state '" + group.getKey()
              + "' is not shaped like the global model");
        }
      }
    }
  }

  /** Each tensor's first byte in the file and its number of values (null arrays when only walking the lengths). */
  private record Positions(long[] starts, int[] lengths) {}

  /** A checkpoint from before layouts were recorded: one-dimensional float32 tensors, named by index. */
  private static List<TensorSpec> legacySpecs(int[] lengths) {
    List<TensorSpec> specs = new ArrayList<>(lengths.length);
    for (int t = 0; t < lengths.length; t++) {
      specs.add(new TensorSpec("tensor" + t, new long[] {lengths[t]}, DType.F32));
    }
    return specs;
  }

  /** The metadata JSON, field by field; every field a resumed job relies on is checked. */
  private static final class Metadata {
    String jobId;
    String model;
    List<CheckpointLayout.Entry> layout;
    String strategy;
    int roundsTotal;
    int roundsCompleted;
    long modelVersion;
    List<Checkpoint.PartyRecord> parties;
    List<RoundRecord> history;
    Map<String, Map<String, Double>> finalEvaluations;
    long bytesUp;
    long bytesDown;
    LedgerJson privacy;

    /** The ledger as read, every field nullable until checked (see {@link PrivacyLedger}). */
    private static final class LedgerJson {
      Double epsilonBudget;
      Double delta;
      List<PrivacyLedger.Run> runs;
    }

    static Metadata decode(Path file, byte[] json) throws InvalidCheckpointException {
      Metadata meta;
      try {
        meta = Json.GSON.fromJson(new String(json, StandardCharsets.UTF_8), Metadata.class);
      } catch (JsonParseException | IllegalArgumentException | IllegalStateException e) {
        throw new InvalidCheckpointException(file, "is corrupt: its metadata is not the expected JSON ("
            + e.getMessage() + ")", e);
      }
      if (meta == null) {
        throw new InvalidCheckpointException(file, "is corrupt: its metadata is empty");
      }
      String problem = meta.problem();
      if (problem == null && !survivesUtf8(Json.GSON.toJson(meta))) {
        // an escaped lone surrogate (D800-DFFF) is legal JSON but no UTF-8: the next save would alter the text
        problem = "holds text that is not valid Unicode (an unpaired surrogate)";
      }
      if (problem != null) {
        throw new InvalidCheckpointException(file, "is corrupt: its metadata " + problem);
      }
      return meta;
    }

    /** What is wrong with the fields, or null. */
    private String problem() {
      if (jobId == null || model == null || strategy == null) {
        return "lacks job_id, model or strategy";
      }
      if (roundsTotal < 0 || roundsCompleted < 0 || modelVersion < 0 || bytesUp < 0 || bytesDown < 0) {
        return "holds a negative count (rounds_total " + roundsTotal + ", rounds_completed " + roundsCompleted
            + ", model_version " + modelVersion + ", bytes_up " + bytesUp + ", bytes_down " + bytesDown + ")";
      }
      Set<String> names = new HashSet<>();
      Set<Integer> indices = new HashSet<>();
      for (Checkpoint.PartyRecord p : orEmpty(parties)) {
        if (p == null || p.name() == null || p.index() < 0 || p.numSamples() < 0) {
          return "holds an incomplete or negative party entry: " + p;
        }
        if (!names.add(p.name()) || !indices.add(p.index())) {
          return "holds party '" + p.name() + "' or index " + p.index() + " twice";
        }
      }
      for (RoundRecord r : orEmpty(history)) {
        if (r == null || r.parties() == null || r.parties().contains(null) || hasNull(r.lateOrDropped())
            || hasNull(r.metrics())) {
          return "holds an incomplete round record: " + r;
        }
        if (isNegative(r.bytesUpTotal()) || isNegative(r.bytesDownTotal())) {
          return "holds a negative byte total in round record " + r.round();
        }
        if (r.shareRoutes() != null && (r.shareRoutes().direct() < 0 || r.shareRoutes().relayed() < 0)) {
          return "holds a negative share count in round record " + r.round();
        }
      }
      String ledger = privacy == null ? null : ledgerProblem(privacy, roundsCompleted);
      if (ledger != null) {
        return ledger;
      }
      if (finalEvaluations != null) {
        for (Map.Entry<String, Map<String, Double>> e : finalEvaluations.entrySet()) {
          if (e.getKey() == null || hasNull(e.getValue())) {
            return "holds an incomplete final evaluation: " + e;
          }
        }
      }
      return null;
    }

    /** What is wrong with a DP job's ledger, or null: settings no server accepts, or other rounds than completed. */
    private static String ledgerProblem(LedgerJson ledger, int roundsCompleted) {
      if (ledger.epsilonBudget == null || ledger.delta == null || ledger.runs == null || ledger.runs.contains(null)) {
        return "holds an incomplete privacy ledger";
      }
      long rounds = 0;
      for (PrivacyLedger.Run run : ledger.runs) {
        try {
          new PrivacyBudget(ledger.epsilonBudget, ledger.delta, run.clipNorm(), run.noiseMultiplier(),
              run.samplingRate());
        } catch (IllegalArgumentException e) {
          return "holds privacy settings no server accepts: " + e.getMessage();
        }
        if (run.rounds() < 1) {
          return "holds a privacy ledger run of " + run.rounds() + " rounds";
        }
        rounds += run.rounds();
      }
      if (rounds != roundsCompleted) {
        return "charges " + rounds + " rounds to its privacy ledger but completed " + roundsCompleted;
      }
      return null;
    }

    private static boolean isNegative(Long value) {
      return value != null && value < 0;
    }

    private static boolean survivesUtf8(String text) {
      return text.equals(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
    }

    Checkpoint toCheckpoint(List<TensorSpec> checkedLayout, GlobalModel global,
        Map<String, float[][]> strategyState) {
      return new Checkpoint(jobId, model, checkedLayout, strategy, roundsTotal, roundsCompleted, modelVersion, global, strategyState,
          List.copyOf(orEmpty(parties)), List.copyOf(orEmpty(history)),
          finalEvaluations == null ? Map.of() : finalEvaluations, bytesUp, bytesDown,
          privacy == null ? null : new PrivacyLedger(privacy.epsilonBudget, privacy.delta, privacy.runs));
    }

    private static <T> List<T> orEmpty(List<T> list) {
      return list == null ? new ArrayList<>() : list;
    }

    private static boolean hasNull(Map<?, ?> map) {
      if (map == null) {
        return true;
      }
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (e.getKey() == null || e.getValue() == null) {
          return true;
        }
      }
      return false;
    }
  }
}
