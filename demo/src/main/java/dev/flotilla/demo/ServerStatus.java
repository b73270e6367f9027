package dev.flotilla.demo;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;

/**
 * The aggregator's {@code --status-file}: written atomically after every round and at the end.
 *
 * @param lateOrDropped round (1-based) to the parties that were late or dropped in it
 */
public record ServerStatus(
    String jobId,
    int roundsCompleted,
    int roundsTotal,
    boolean finished,
    List<String> parties,
    List<Double> accuracyPerRound,
    OptionalDouble finalAccuracy,
    Map<Integer, List<String>> lateOrDropped,
    long bytesUp,
    long bytesDown,
    String tlsProvider,
    JsonObject raw) {

  /** The status in {@code file}, or empty while the server has not written one yet. */
  public static Optional<ServerStatus> read(Path file) {
    try {
      return Optional.of(parse(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | JsonParseException | IllegalStateException e) {
      // written atomically, so this is a file that is not (yet) a status: treat as absent
      return Optional.empty();
    }
  }

  public static ServerStatus parse(String json) {
    JsonObject o = JsonParser.parseString(json).getAsJsonObject();
    return new ServerStatus(
        string(o, "job_id"),
        (int) number(o, "rounds_completed"),
        (int) number(o, "rounds_total"),
        o.has("finished") && !o.get("finished").isJsonNull() && o.get("finished").getAsBoolean(),
        strings(o.get("parties")),
        doubles(o.get("accuracy_per_round")),
        o.has("final_accuracy") && o.get("final_accuracy").isJsonPrimitive()
            ? OptionalDouble.of(o.get("final_accuracy").getAsDouble())
            : OptionalDouble.empty(),
        byRound(o.get("late_or_dropped")),
        number(o, "bytes_up"),
        number(o, "bytes_down"),
        string(o, "tls_provider"),
        o);
  }

  /** Every party reported late or dropped in any round. */
  public Set<String> lateOrDroppedParties() {
    Set<String> all = new LinkedHashSet<>();
    lateOrDropped.values().forEach(all::addAll);
    return all;
  }

  /** The accuracy of the newest round's global model, if any was reported. */
  public OptionalDouble lastRoundAccuracy() {
    return accuracyPerRound.isEmpty()
        ? OptionalDouble.empty()
        : OptionalDouble.of(accuracyPerRound.get(accuracyPerRound.size() - 1));
  }

  private static String string(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? "" : e.getAsString();
  }

  private static long number(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? 0 : e.getAsLong();
  }

  private static List<String> strings(JsonElement e) {
    List<String> out = new ArrayList<>();
    collectStrings(e, out);
    return List.copyOf(out);
  }

  private static List<Double> doubles(JsonElement e) {
    List<Double> out = new ArrayList<>();
    if (e != null && e.isJsonArray()) {
      for (JsonElement item : e.getAsJsonArray()) {
        if (item.isJsonPrimitive()) {
          out.add(item.getAsDouble());
        }
      }
    }
    return List.copyOf(out);
  }

  /**
   * Accepts the shapes a per-round list naturally takes: {@code [[names of round 1], ...]},
   * {@code {"1": [names], ...}}, {@code {"1": {"party-3": "dropped"}}} or
   * {@code [{"round": 1, "parties": [names]}, ...]}. Rounds with nobody late are left out.
   */
  static Map<Integer, List<String>> byRound(JsonElement e) {
    Map<Integer, List<String>> out = new TreeMap<>();
    if (e == null || e.isJsonNull()) {
      return out;
    }
    if (e.isJsonArray()) {
      JsonArray array = e.getAsJsonArray();
      for (int i = 0; i < array.size(); i++) {
        JsonElement item = array.get(i);
        int round = i + 1;
        if (item.isJsonObject() && item.getAsJsonObject().has("round")) {
          round = item.getAsJsonObject().get("round").getAsInt();
        }
        put(out, round, item);
      }
    } else if (e.isJsonObject()) {
      for (Map.Entry<String, JsonElement> entry : e.getAsJsonObject().entrySet()) {
        int round;
        try {
          round = Integer.parseInt(entry.getKey().replaceAll("\\D", ""));
        } catch (NumberFormatException notARound) {
          round = 0;
        }
        put(out, round, entry.getValue());
      }
    }
    return out;
  }

  private static void put(Map<Integer, List<String>> out, int round, JsonElement names) {
    List<String> list = new ArrayList<>();
    collectStrings(names, list);
    if (!list.isEmpty()) {
      out.computeIfAbsent(round, r -> new ArrayList<>()).addAll(list);
    }
  }

  private static void collectStrings(JsonElement e, List<String> out) {
    if (e == null || e.isJsonNull()) {
      return;
    }
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
      out.add(e.getAsString());
    } else if (e.isJsonArray()) {
      e.getAsJsonArray().forEach(item -> collectStrings(item, out));
    } else if (e.isJsonObject()) {
      for (Map.Entry<String, JsonElement> entry : e.getAsJsonObject().entrySet()) {
        String key = entry.getKey();
        JsonElement value = entry.getValue();
        if (key.equals("round") || key.equals("attempts")) {
          continue;
        }
        if (value.isJsonPrimitive()) {
          // {"party": "party-3"} names the party; {"party-3": "dropped"} maps a party to its reason
          out.add(key.equals("party") || key.equals("name") ? value.getAsString() : key);
        } else {
          collectStrings(value, out);
        }
      }
    }
  }
}
