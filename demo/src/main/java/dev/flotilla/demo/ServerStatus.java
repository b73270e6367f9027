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
 * @param accuracyPerRound entry i is the accuracy of the global model produced by round i+1 (null
 *     while not yet known: the parties report it with their next update, or in their final evaluation)
 * @param lateOrDropped round (1-based) to the parties that were late or dropped in it
 * @param rounds what happened in each completed round, oldest first
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
    List<RoundInfo> rounds,
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
        rounds(o.get("rounds")),
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

  /** The accuracy of the global model produced by this 1-based round, once reported. */
  public OptionalDouble accuracyAfterRound(int round) {
    Double value = round >= 1 && round <= accuracyPerRound.size() ? accuracyPerRound.get(round - 1) : null;
    return value == null ? OptionalDouble.empty() : OptionalDouble.of(value);
  }

  /** The record of a completed 1-based round, if the server wrote one. */
  public Optional<RoundInfo> round(int round) {
    return rounds.stream().filter(r -> r.round() == round).findFirst();
  }

  /**
   * One completed round.
   *
   * @param accuracy the mean accuracy (weighted by samples) the parties reported for the model they
   *     started the round from (version {@code evaluatedModelVersion}, i.e. round - 1)
   */
  public record RoundInfo(int round, List<String> parties, List<String> lateOrDropped, OptionalDouble accuracy,
      long evaluatedModelVersion, double durationSeconds) {}

  private static List<RoundInfo> rounds(JsonElement e) {
    List<RoundInfo> out = new ArrayList<>();
    if (e == null || !e.isJsonArray()) {
      return List.of();
    }
    for (JsonElement item : e.getAsJsonArray()) {
      if (!item.isJsonObject()) {
        continue;
      }
      JsonObject r = item.getAsJsonObject();
      JsonElement metrics = r.get("metrics");
      OptionalDouble accuracy = OptionalDouble.empty();
      if (metrics != null && metrics.isJsonObject() && metrics.getAsJsonObject().has("accuracy")
          && metrics.getAsJsonObject().get("accuracy").isJsonPrimitive()) {
        accuracy = OptionalDouble.of(metrics.getAsJsonObject().get("accuracy").getAsDouble());
      }
      List<String> late = new ArrayList<>();
      collectStrings(r.get("late_or_dropped"), late);
      out.add(new RoundInfo((int) number(r, "round"), strings(r.get("parties")), List.copyOf(late), accuracy,
          number(r, "evaluated_model_version"),
          r.has("duration_seconds") && r.get("duration_seconds").isJsonPrimitive()
              ? r.get("duration_seconds").getAsDouble() : Double.NaN));
    }
    return List.copyOf(out);
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

  /** Keeps nulls in place: an entry's index is its round. */
  private static List<Double> doubles(JsonElement e) {
    List<Double> out = new ArrayList<>();
    if (e != null && e.isJsonArray()) {
      for (JsonElement item : e.getAsJsonArray()) {
        out.add(item.isJsonPrimitive() ? Double.valueOf(item.getAsDouble()) : null);
      }
    }
    return java.util.Collections.unmodifiableList(out);
  }

  /**
   * Accepts the shapes a per-round list naturally takes: {@code [[names of round 1], ...]},
   * {@code {"1": [names], ...}}, {@code {"1": {"party-3": "dropped"}}} or
   * {@code [{"round": 1, "parties": [names], "reasons": {name: reason}}, ...]} (the server's).
   * Rounds with nobody late are left out.
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
    if (names.isJsonObject() && names.getAsJsonObject().has("parties")) {
      names = names.getAsJsonObject().get("parties"); // beside it, "reasons" maps the same names
    }
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
