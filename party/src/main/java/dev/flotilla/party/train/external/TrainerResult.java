package dev.flotilla.party.train.external;

import dev.flotilla.protocol.json.StrictJson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import dev.flotilla.protocol.status.MetricNames;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checked content of a result.json the trainer command wrote: {@code num_samples} and, for
 * train and evaluate, {@code metrics}. The file is hostile input: its size is bounded before it is
 * read, the JSON is parsed strictly, and every field is checked; a refusal names the file and the field.
 *
 * @param numSamples training samples (describe, train) or evaluated samples (evaluate)
 * @param metrics metric name to value; empty for describe
 */
record TrainerResult(int numSamples, Map<String, Double> metrics) {
  static final long MAX_BYTES = 1 << 20;
  /** The server accepts 32 metrics per update; the party adds train_seconds and eval_seconds to a train result's. */
  static final int MAX_METRICS = 30;
  private static final Pattern METRIC_NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

  /** What an action must report. */
  enum Action {
    DESCRIBE, TRAIN, EVALUATE;

    String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * Reads and checks {@code file}.
   *
   * @throws InvalidOutputException saying what is wrong with which field
   */
  static TrainerResult read(Path file, Action action) throws IOException {
    requirePlainFile(file);
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      bytes = in.readNBytes((int) MAX_BYTES + 1);
    }
    if (bytes.length > MAX_BYTES) {
      throw new InvalidOutputException(file + " is more than the " + MAX_BYTES + " bytes a result may have");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new InvalidOutputException(file + " is not UTF-8 text");
    }
    return parse(file, text, action);
  }

  /**
   * Refuses an output that is missing, a symbolic link (its target may be anything: /dev/zero reads
   * forever) or not a regular file (a FIFO blocks the party on open); checked without following links.
   */
  static void requirePlainFile(Path file) throws InvalidOutputException {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new InvalidOutputException(file + " was not written");
    }
    if (attributes.isSymbolicLink()) {
      throw new InvalidOutputException(file + " is a symbolic link; the command must write the file itself");
    }
    if (!attributes.isRegularFile()) {
      throw new InvalidOutputException(file + " is not a regular file");
    }
  }

  static TrainerResult parse(Path file, String text, Action action) throws InvalidOutputException {
    JsonElement root;
    try {
      root = StrictJson.parse(text);
    } catch (StrictJson.Problem p) {
      throw new InvalidOutputException(switch (p.kind()) {
        case REPEATED_KEY -> file + ": '" + truncate(p.path()) + "' is repeated";
        case BAD_NUMBER -> file + ": '" + truncate(p.path()) + "' must be a number, got " + truncate(p.text());
        case TRAILING_VALUE -> file + " has more than one JSON value";
      });
    } catch (IOException | JsonParseException | IllegalStateException e) {
      throw new InvalidOutputException(file + " is not valid JSON" + where(e.getMessage()));
    }
    if (!root.isJsonObject()) {
      throw new InvalidOutputException(file + " must hold a JSON object, got " + kind(root));
    }
    JsonObject object = root.getAsJsonObject();
    Set<String> allowed = action == Action.DESCRIBE ? Set.of("num_samples") : Set.of("num_samples", "metrics");
    for (String key : object.keySet()) {
      if (!allowed.contains(key)) {
        throw new InvalidOutputException(file + ": unexpected field '" + truncate(key) + "' in a " + action.jsonName()
            + " result (expected " + allowed + ")");
      }
    }
    int numSamples = numSamples(file, object.get("num_samples"));
    if (action == Action.DESCRIBE) {
      return new TrainerResult(numSamples, Map.of());
    }
    return new TrainerResult(numSamples, metrics(file, object.get("metrics"), action));
  }

  /** Gson's "at line 1 column 21" without its advice on lenient parsing. */
  private static String where(String message) {
    java.util.regex.Matcher m = Pattern.compile("at line \\d+ column \\d+").matcher(String.valueOf(message));
    return m.find() ? " (" + m.group() + ")" : "";
  }

  private static int numSamples(Path file, JsonElement value) throws InvalidOutputException {
    if (value == null) {
      throw new InvalidOutputException(file + ": 'num_samples' is missing");
    }
    BigDecimal number = number(file, "num_samples", value);
    try {
      int n = number.intValueExact();
      if (n >= 1) {
        return n;
      }
    } catch (ArithmeticException e) {
      // not a whole number that fits an int
    }
    throw new InvalidOutputException(file + ": 'num_samples' must be a whole number from 1 to "
        + Integer.MAX_VALUE + ", got " + truncate(value.toString()));
  }

  private static Map<String, Double> metrics(Path file, JsonElement value, Action action) throws InvalidOutputException {
    if (value == null) {
      throw new InvalidOutputException(file + ": 'metrics' is missing");
    }
    if (!value.isJsonObject()) {
      throw new InvalidOutputException(file + ": 'metrics' must be an object, got " + kind(value));
    }
    JsonObject object = value.getAsJsonObject();
    if (object.size() > MAX_METRICS) {
      throw new InvalidOutputException(file + ": 'metrics' has " + object.size() + " entries, at most "
          + MAX_METRICS + " are accepted");
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> entry : object.entrySet()) {
      String name = entry.getKey();
      if (!METRIC_NAME.matcher(name).matches()) {
        throw new InvalidOutputException(file + ": metric name '" + truncate(name)
            + "' must be lower case letters, digits and _ (at most 64)");
      }
      double v = number(file, "metrics." + name, entry.getValue()).doubleValue();
      if (!Double.isFinite(v)) {
        throw new InvalidOutputException(file + ": 'metrics." + name + "' is " + entry.getValue()
            + ", beyond a double");
      }
      metrics.put(name, v);
    }
    require(file, metrics, MetricNames.LOSS, 0, Double.MAX_VALUE);
    if (action == Action.TRAIN) {
      require(file, metrics, MetricNames.TRAIN_LOSS, 0, Double.MAX_VALUE);
      if (metrics.containsKey(MetricNames.TRAIN_SECONDS)) {
        throw new InvalidOutputException(file + ": 'metrics." + MetricNames.TRAIN_SECONDS + "' is measured by the "
            + "party around the command; leave it out (report '" + MetricNames.EVAL_SECONDS + "', the evaluation's "
            + "share of the run, if you like)");
      }
      if (metrics.containsKey(MetricNames.EVAL_SECONDS)) {
        require(file, metrics, MetricNames.EVAL_SECONDS, 0, Double.MAX_VALUE);
      }
    }
    if (metrics.containsKey(MetricNames.ACCURACY)) {
      require(file, metrics, MetricNames.ACCURACY, 0, 1);
    } else if (metrics.containsKey(MetricNames.R2)) {
      require(file, metrics, MetricNames.R2, -Double.MAX_VALUE, 1);
    } else {
      throw new InvalidOutputException(file + ": 'metrics' needs 'accuracy' (classification) or 'r2' "
          + "(regression), got " + metrics.keySet());
    }
    return metrics;
  }

  private static void require(Path file, Map<String, Double> metrics, String name, double min, double max)
      throws InvalidOutputException {
    Double v = metrics.get(name);
    if (v == null) {
      throw new InvalidOutputException(file + ": 'metrics." + name + "' is missing");
    }
    if (v < min || v > max) {
      throw new InvalidOutputException(file + ": 'metrics." + name + "' is " + v + ", not in ["
          + (min == -Double.MAX_VALUE ? "-inf" : min) + ", " + (max == Double.MAX_VALUE ? "inf" : max) + "]");
    }
  }

  private static BigDecimal number(Path file, String field, JsonElement value) throws InvalidOutputException {
    if (value.isJsonPrimitive() && ((JsonPrimitive) value).isNumber()) {
      try {
        return new BigDecimal(value.getAsString());
      } catch (NumberFormatException e) {
        // falls through to the refusal
      }
    }
    throw new InvalidOutputException(file + ": '" + field + "' must be a number, got " + kind(value) + " "
        + truncate(value.toString()));
  }

  private static String kind(JsonElement value) {
    if (value.isJsonObject()) {
      return "an object";
    }
    if (value.isJsonArray()) {
      return "an array";
    }
    if (value.isJsonNull()) {
      return "null";
    }
    JsonPrimitive primitive = value.getAsJsonPrimitive();
    return primitive.isString() ? "a string" : primitive.isBoolean() ? "a boolean" : "a number";
  }

  private static String truncate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 80) + "...";
  }

  /** An output file of the trainer command that the party refuses. */
  static final class InvalidOutputException extends IOException {
    InvalidOutputException(String message) {
      super(message);
    }
  }
}
