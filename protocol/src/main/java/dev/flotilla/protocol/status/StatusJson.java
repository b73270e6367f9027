package dev.flotilla.protocol.status;

import dev.flotilla.protocol.json.StrictJson;
import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The one JSON codec of {@link JobStatus}: snake_case field names, nulls written (a missing value is
 * explicit), strict JSON (no NaN or Infinity; a non-finite value cannot be written).
 *
 * <p>Reading is strict about what it knows and tolerant of what it does not: every field of the
 * record must be present once with a value of its type (null only where the record allows it; fields
 * added later may be absent in older files; a number its field cannot hold is refused, not narrowed),
 * and unknown fields are ignored, so a newer server's file still reads. A status file is input too: {@link #readFile} refuses one above {@link #MAX_FILE_BYTES}.
 */
public final class StatusJson {

  /** The largest status file read: room for thousands of parties over hundreds of rounds. */
  public static final int MAX_FILE_BYTES = 64 << 20;

  /**
   * The largest summary read: a Kubernetes termination message holds at most 4096 bytes, and a
   * summary (a job id of at most 253 characters and a few numbers) needs well under 1 KiB.
   */
  public static final int MAX_SUMMARY_BYTES = 4096;

  /** Compact: a summary travels in a termination message and a status field. */
  private static final Gson COMPACT = new GsonBuilder()
      .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
      .serializeNulls()
      .setStrictness(Strictness.STRICT)
      .create();

  private static final Gson GSON = new GsonBuilder()
      .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
      .serializeNulls()
      .setStrictness(Strictness.STRICT)
      .setPrettyPrinting()
      .create();

  private StatusJson() {}

  /** The document of {@code status}; a non-finite number in it is an IllegalArgumentException. */
  public static String write(JobStatus status) {
    return GSON.toJson(withoutAbsentNulls(GSON.toJsonTree(status), JobStatus.class));
  }

  /**
   * Drops the top-level fields that may be absent and are null (e.g. {@code privacy} of a job without
   * a budget): a job that does not use a later feature writes the same document as before it existed.
   */
  private static JsonElement withoutAbsentNulls(JsonElement tree, Class<? extends Record> type) {
    JsonObject object = tree.getAsJsonObject();
    for (RecordComponent c : type.getRecordComponents()) {
      String name = jsonName(type, c);
      if (c.isAnnotationPresent(MayBeAbsent.class) && object.has(name) && object.get(name).isJsonNull()) {
        object.remove(name);
      }
    }
    return object;
  }

  /** The one-line document of {@code summary}; a non-finite number in it is an IllegalArgumentException. */
  public static String writeSummary(JobSummary summary) {
    return COMPACT.toJson(withoutAbsentNulls(COMPACT.toJsonTree(summary), JobSummary.class));
  }

  /**
   * The summary in {@code json} (a termination message, so input from a pod), or
   * InvalidStatusException saying what is wrong: longer than {@link #MAX_SUMMARY_BYTES}, not strict
   * JSON, a field missing or of the wrong type, a negative count.
   */
  public static JobSummary readSummary(String json) throws InvalidStatusException {
    if (json.length() > MAX_SUMMARY_BYTES) {
      throw new InvalidStatusException("is longer than " + MAX_SUMMARY_BYTES + " characters, more than any summary");
    }
    JobSummary summary = parse(json, JobSummary.class);
    if (summary.roundsCompleted() < 0 || summary.roundsTotal() < 0 || summary.partiesConnected() < 0
        || summary.partiesExpected() < 0) {
      throw new InvalidStatusException("holds a negative count (rounds_completed " + summary.roundsCompleted()
          + ", rounds_total " + summary.roundsTotal() + ", parties_connected " + summary.partiesConnected()
          + ", parties_expected " + summary.partiesExpected() + ")");
    }
    return summary;
  }

  /** The status of a document, or InvalidStatusException saying what is wrong with it. */
  public static JobStatus read(String json) throws InvalidStatusException {
    JobStatus status = parse(json, JobStatus.class);
    String problem = problem(status);
    if (problem != null) {
      throw new InvalidStatusException(problem);
    }
    return status;
  }

  /** {@code json} as a {@code type}: strict JSON, every field present with a value of its type. */
  private static <T extends Record> T parse(String json, Class<T> type) throws InvalidStatusException {
    if (json.isBlank()) {
      throw new InvalidStatusException("is empty");
    }
    JsonElement tree;
    try {
      tree = StrictJson.parse(json);
    } catch (StrictJson.Problem p) {
      throw new InvalidStatusException(switch (p.kind()) {
        case REPEATED_KEY -> "repeats the field '" + p.path() + "'";
        case BAD_NUMBER -> "has a number beyond range at '" + p.path() + "'";
        case TRAILING_VALUE -> "is not strict JSON: more than one value";
      }, p);
    } catch (IOException | JsonParseException | IllegalStateException e) {
      throw new InvalidStatusException("is not strict JSON: " + rootMessage(e), e);
    }
    if (!tree.isJsonObject()) {
      throw new InvalidStatusException("is not a JSON object");
    }
    requireFields(tree.getAsJsonObject(), type, "");
    try {
      // from the text, not the tree: the streaming reader refuses a number its field cannot hold (1e30 for a
      // long), where a tree's number would be narrowed silently
      return GSON.fromJson(json, type);
    } catch (JsonParseException | IllegalStateException | NumberFormatException e) {
      throw new InvalidStatusException("holds a value of the wrong type: " + rootMessage(e), e);
    }
  }

  /**
   * The status in {@code file}. A missing file is a NoSuchFileException; a file above
   * {@link #MAX_FILE_BYTES}, not UTF-8 or not a status is an InvalidStatusException naming the file.
   */
  public static JobStatus readFile(Path file) throws IOException {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    }
    if (bytes.length > MAX_FILE_BYTES) {
      throw new InvalidStatusException("status file " + file + " is larger than " + (MAX_FILE_BYTES >> 20)
          + " MiB, more than any status of a job; it is not a status file");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new InvalidStatusException("status file " + file + " is not UTF-8 text", e);
    }
    try {
      return read(text);
    } catch (InvalidStatusException e) {
      throw new InvalidStatusException("status file " + file + " " + e.getMessage(), e);
    }
  }

  /** Every component of {@code type} present (unless @MayBeAbsent) and non-null (unless allowed), recursively. */
  private static void requireFields(JsonObject object, Class<?> type, String path) throws InvalidStatusException {
    for (RecordComponent c : type.getRecordComponents()) {
      String name = jsonName(type, c);
      String where = path + name;
      JsonElement value = object.get(name);
      boolean nullable = c.isAnnotationPresent(Nullable.class);
      if (value == null) {
        if (!c.isAnnotationPresent(MayBeAbsent.class)) {
          throw new InvalidStatusException("lacks the field '" + where + "'");
        }
        continue;
      }
      if (value.isJsonNull()) {
        if (!nullable) {
          throw new InvalidStatusException("has null for the field '" + where + "', which needs a value");
        }
        continue;
      }
      Class<?> raw = c.getType();
      String kind = scalarKind(raw);
      if (kind != null && !isScalarOfKind(value, kind)) {
        // Gson would read "yes" as the boolean false and "3" as the number 3
        throw new InvalidStatusException("holds a value of the wrong type: '" + where + "' is " + abbreviated(value) + ", "
            + kind + " expected");
      }
      if (List.class.isAssignableFrom(raw)) {
        requireList(value, elementType(c.getGenericType(), 0), c.isAnnotationPresent(NullElements.class), where);
      } else if (Map.class.isAssignableFrom(raw)) {
        requireMap(value, elementType(c.getGenericType(), 1), where);
      } else if (raw.isRecord()) {
        if (!value.isJsonObject()) {
          throw new InvalidStatusException("holds a value of the wrong type: '" + where + "' is " + abbreviated(value)
              + ", an object expected");
        }
        requireFields(value.getAsJsonObject(), raw, where + ".");
      }
    }
  }

  private static String abbreviated(JsonElement value) {
    String text = value.toString();
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }

  /** "a boolean", "a number" or "a string" for a scalar component type, else null. */
  private static String scalarKind(Class<?> type) {
    if (type == boolean.class || type == Boolean.class) {
      return "a boolean";
    }
    if (type.isPrimitive() || Number.class.isAssignableFrom(type)) {
      return "a number";
    }
    return type == String.class ? "a string" : null;
  }

  private static boolean isScalarOfKind(JsonElement value, String kind) {
    if (!value.isJsonPrimitive()) {
      return false;
    }
    var p = value.getAsJsonPrimitive();
    return switch (kind) {
      case "a boolean" -> p.isBoolean();
      case "a number" -> p.isNumber();
      default -> p.isString();
    };
  }

  private static void requireList(JsonElement value, Type element, boolean nullElements, String where)
      throws InvalidStatusException {
    if (!value.isJsonArray()) {
      throw new InvalidStatusException("has a '" + where + "' that is not a list");
    }
    JsonArray array = value.getAsJsonArray();
    for (int i = 0; i < array.size(); i++) {
      JsonElement item = array.get(i);
      String at = where + "[" + i + "]";
      if (item.isJsonNull()) {
        if (!nullElements) {
          throw new InvalidStatusException("has null at '" + at + "', which needs a value");
        }
      } else if (element instanceof Class<?> c && c.isRecord()) {
        if (!item.isJsonObject()) {
          throw new InvalidStatusException("has a '" + at + "' that is not an object");
        }
        requireFields(item.getAsJsonObject(), c, at + ".");
      }
    }
  }

  private static void requireMap(JsonElement value, Type valueType, String where) throws InvalidStatusException {
    if (!value.isJsonObject()) {
      throw new InvalidStatusException("has a '" + where + "' that is not an object");
    }
    for (Map.Entry<String, JsonElement> e : value.getAsJsonObject().entrySet()) {
      String at = where + "." + e.getKey();
      if (e.getValue().isJsonNull()) {
        throw new InvalidStatusException("has null at '" + at + "', which needs a value");
      }
      if (valueType instanceof ParameterizedType p && p.getRawType() == Map.class) {
        requireMap(e.getValue(), p.getActualTypeArguments()[1], at);
      }
    }
  }

  /** What is wrong with the values of a well-formed status, or null. */
  private static String problem(JobStatus s) {
    if (s.roundsCompleted() < 0 || s.roundsTotal() < 0 || s.modelVersion() < 0 || s.capacity() < 0
        || s.bytesUp() < 0 || s.bytesDown() < 0) {
      return "holds a negative count (rounds_completed " + s.roundsCompleted() + ", rounds_total " + s.roundsTotal()
          + ", model_version " + s.modelVersion() + ", capacity " + s.capacity() + ", bytes_up " + s.bytesUp()
          + ", bytes_down " + s.bytesDown() + ")";
    }
    for (RoundRecord r : s.rounds()) {
      ShareRoutes routes = r.shareRoutes();
      if (routes != null && (routes.direct() < 0 || routes.relayed() < 0)) {
        return "holds a negative share count in round " + r.round() + " (direct " + routes.direct() + ", relayed "
            + routes.relayed() + ")";
      }
    }
    return null;
  }

  private static String jsonName(Class<?> type, RecordComponent c) {
    try {
      return FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES.translateName(type.getDeclaredField(c.getName()));
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException("a record component without its field: " + c, e);
    }
  }

  private static Type elementType(Type generic, int index) {
    return generic instanceof ParameterizedType p ? p.getActualTypeArguments()[index] : Object.class;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
