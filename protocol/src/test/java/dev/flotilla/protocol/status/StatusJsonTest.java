package dev.flotilla.protocol.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusJsonTest {

  /** Written by RoundCoordinatorTest on main at 33b0e51 (before the typed status): a finished job, 3 parties. */
  static final String FINISHED = "main-33b0e51-finished.json";
  /** The same run's job with carol dropped in round 1 and bob late in round 2. */
  static final String DROPPED_AND_LATE = "main-33b0e51-dropped-and-late.json";

  static String fixture(String name) throws IOException {
    try (InputStream in = StatusJsonTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Every field set, none of them a default, so a field the codec drops or renames shows. */
  static JobStatus everyField() {
    RoundRecord r1 = new RoundRecord(1, 2, List.of("alice", "bob"), Map.of("carol", "rejected: tensor 'w' element 3 is NaN"),
        300, 0, Map.of(MetricNames.ACCURACY, 0.25, MetricNames.LOSS, 1.5, MetricNames.TRAIN_LOSS, 1.25), 4.25, 0.0625,
        3.5, 0.5, 0.25, 9_000_001L, 12_000_002L, 1_796_408_234_451L).withShareRoutes(new ShareRoutes(12, 3));
    RoundRecord r2 = new RoundRecord(2, 1, List.of("alice", "bob", "carol"), Map.of(), 600, 1,
        Map.of(MetricNames.ACCURACY, 0.5), 2.0, 0.03125, RoundTimes.UNKNOWN, 1_796_408_234_999L);
    return new JobStatus("job7", "cnn", "/models/cnn.safetensors", "/state/model-final.safetensors", "/state/models",
        "fedadam", 2, 3, true, 2, "allow-list", List.of("alice", "bob", "carol"), 3, List.of("alice", "bob", "carol"),
        List.of("bob"), 3, 0.25, Arrays.asList(0.5, null), 0.75,
        List.of(LateOrDropped.of(r1), LateOrDropped.of(r2)), List.of(r1, r2),
        Map.of("alice", Map.of(MetricNames.ACCURACY, 0.75, MetricNames.NUM_SAMPLES, 1000.0)), 123_456_789_012L, 987_654_321L,
        "BoringSSL", 1_796_408_235_000L, new PrivacyStatus(4.0, 1e-5, 3.25, 1.1, 0.5, 0.25, 2),
        "the privacy budget allows 2 of 3 rounds");
  }

  @Test
  @DisplayName("a status with every field set reads back equal to what was written")
  void roundTrip() throws Exception {
    JobStatus status = everyField();

    assertThat(StatusJson.read(StatusJson.write(status))).isEqualTo(status);
  }

  @Test
  @DisplayName("the document has exactly the snake_case fields of the status file, in the README's order")
  void fieldNames() {
    JsonObject json = JsonParser.parseString(StatusJson.write(everyField())).getAsJsonObject();

    assertThat(json.keySet()).containsExactly("job_id", "model", "initial_model", "exported_model",
        "exported_rounds_directory", "strategy", "rounds_completed", "rounds_total", "finished", "model_version",
        "enrollment", "allowed_parties", "capacity", "parties", "parties_connected", "current_round", "initial_accuracy",
        "accuracy_per_round", "final_accuracy", "late_or_dropped", "rounds", "final_evaluations", "bytes_up", "bytes_down",
        "tls_provider", "updated_unix_millis", "privacy", "end_reason");
    assertThat(json.getAsJsonArray("rounds").get(0).getAsJsonObject().keySet()).containsExactly("round", "attempts",
        "parties", "late_or_dropped", "samples", "evaluated_model_version", "metrics", "duration_seconds",
        "aggregation_seconds", "training_seconds", "evaluation_seconds", "protocol_seconds", "bytes_up_total",
        "bytes_down_total", "completed_unix_millis", "share_routes");
    assertThat(json.getAsJsonArray("rounds").get(0).getAsJsonObject().get("share_routes"))
        .isEqualTo(JsonParser.parseString("{\"direct\":12,\"relayed\":3}"));
    assertThat(json.getAsJsonArray("late_or_dropped").get(0)).isEqualTo(JsonParser.parseString(
        "{\"round\":1,\"parties\":[\"carol\"],\"reasons\":{\"carol\":\"rejected: tensor 'w' element 3 is NaN\"}}"));
    // unknown times and byte totals are written as null, not left out
    assertThat(json.getAsJsonArray("rounds").get(1).getAsJsonObject().get("training_seconds").isJsonNull()).isTrue();
    assertThat(json.getAsJsonArray("rounds").get(1).getAsJsonObject().get("bytes_up_total").isJsonNull()).isTrue();
  }

  @Nested
  @DisplayName("a status file written before the typed status")
  class TodaysFiles {

    @Test
    @DisplayName("reads with every value, the round times unknown")
    void finished() throws Exception {
      JobStatus s = StatusJson.read(fixture(FINISHED));

      assertThat(s.jobId()).isEqualTo("jobT");
      assertThat(s.roundsCompleted()).isEqualTo(2);
      assertThat(s.roundsTotal()).isEqualTo(2);
      assertThat(s.finished()).isTrue();
      assertThat(s.parties()).containsExactly("alice", "bob", "carol");
      assertThat(s.initialModel()).isNull();
      assertThat(s.accuracyAfterRound(1).getAsDouble()).isCloseTo(0.66, within(1e-9));
      assertThat(s.accuracyAfterRound(2).getAsDouble()).isEqualTo(0.8);
      assertThat(s.finalAccuracy()).isEqualTo(0.8);
      assertThat(s.round(2).orElseThrow().metrics()).containsEntry(MetricNames.LOSS, 1.0);
      assertThat(s.round(2).orElseThrow().durationSeconds()).isEqualTo(0.091536362);
      assertThat(s.round(1).orElseThrow().trainingSeconds()).isNull();
      assertThat(s.round(1).orElseThrow().protocolSeconds()).isNull();
      assertThat(s.finalEvaluations().get("bob")).containsEntry(MetricNames.NUM_SAMPLES, 1000.0);
      assertThat(s.bytesUp()).isEqualTo(1067590);
      assertThat(s.tlsProvider()).isEqualTo("none (in-process test)");
    }

    @Test
    @DisplayName("keeps who was late or dropped, and why, per round")
    void lateAndDropped() throws Exception {
      JobStatus s = StatusJson.read(fixture(DROPPED_AND_LATE));

      assertThat(s.lateOrDroppedParties()).containsExactly("carol", "bob");
      assertThat(s.lateOrDroppedByRound()).isEqualTo(Map.of(1, List.of("carol"), 2, List.of("bob")));
      assertThat(s.lateOrDropped().get(0)).isEqualTo(new LateOrDropped(1, List.of("carol"), Map.of("carol", "dropped")));
      assertThat(s.round(2).orElseThrow().lateOrDropped()).isEqualTo(Map.of("bob", "late"));
      assertThat(s.accuracyAfterRound(1)).isEmpty();
    }

    @Test
    @DisplayName("written again, holds every field of the original with the same value")
    void rewritten() throws Exception {
      for (String name : List.of(FINISHED, DROPPED_AND_LATE)) {
        JsonObject original = JsonParser.parseString(fixture(name)).getAsJsonObject();
        JsonObject again = JsonParser.parseString(StatusJson.write(StatusJson.read(fixture(name)))).getAsJsonObject();

        assertThat(again.keySet()).isEqualTo(original.keySet());
        for (String key : original.keySet()) {
          JsonElement value = key.equals("rounds") ? withoutRoundTimes(again.get(key)) : again.get(key);
          assertThat(value).as(name + ": " + key).isEqualTo(original.get(key));
        }
      }
    }

    /**
     * The rounds without the times, byte totals and share routes added since (written as null: nothing in these files
     * says them).
     */
    private JsonElement withoutRoundTimes(JsonElement rounds) {
      rounds.getAsJsonArray().forEach(round -> {
        for (String added : List.of("training_seconds", "evaluation_seconds", "protocol_seconds", "bytes_up_total",
            "bytes_down_total", "share_routes")) {
          assertThat(round.getAsJsonObject().remove(added).isJsonNull()).isTrue();
        }
      });
      return rounds;
    }
  }

  @Test
  @DisplayName("fields it does not know (a newer server's) are ignored")
  void unknownFields() throws Exception {
    JsonObject json = JsonParser.parseString(fixture(FINISHED)).getAsJsonObject();
    json.addProperty("quorum_policy", "majority");
    json.getAsJsonArray("rounds").get(0).getAsJsonObject().add("strategy_notes", JsonParser.parseString("{\"a\":[1]}"));

    assertThat(StatusJson.read(json.toString()).roundsCompleted()).isEqualTo(2);
  }

  @Nested
  @DisplayName("refuses, saying what is wrong,")
  class Refusals {

    private String edited(java.util.function.Consumer<JsonObject> edit) throws IOException {
      JsonObject json = JsonParser.parseString(fixture(DROPPED_AND_LATE)).getAsJsonObject();
      edit.accept(json);
      return json.toString();
    }

    private void assertRefused(String json, String message) {
      assertThatThrownBy(() -> StatusJson.read(json)).isInstanceOf(InvalidStatusException.class).hasMessage(message);
    }

    @Test
    @DisplayName("a document without a field of the status")
    void missingField() throws Exception {
      assertRefused(edited(j -> j.remove("rounds_total")), "lacks the field 'rounds_total'");
      assertRefused(edited(j -> j.getAsJsonArray("rounds").get(1).getAsJsonObject().remove("duration_seconds")),
          "lacks the field 'rounds[1].duration_seconds'");
      assertRefused(edited(j -> j.getAsJsonArray("late_or_dropped").get(0).getAsJsonObject().remove("reasons")),
          "lacks the field 'late_or_dropped[0].reasons'");
    }

    @Test
    @DisplayName("null where a value is needed")
    void nulls() throws Exception {
      assertRefused(edited(j -> j.add("job_id", null)), "has null for the field 'job_id', which needs a value");
      assertRefused(edited(j -> j.getAsJsonArray("parties").add((String) null)), "has null at 'parties[3]', which needs a value");
      assertRefused(edited(j -> j.getAsJsonObject("final_evaluations").add("alice", JsonParser.parseString("{\"accuracy\":null}"))),
          "has null at 'final_evaluations.alice.accuracy', which needs a value");
    }

    @Test
    @DisplayName("values of the wrong type or shape")
    void wrongTypes() throws Exception {
      assertThatThrownBy(() -> StatusJson.read(edited(j -> j.addProperty("rounds_completed", "many"))))
          .isInstanceOf(InvalidStatusException.class).hasMessageStartingWith("holds a value of the wrong type: ")
          .hasMessageContaining("many");
      assertRefused(edited(j -> j.addProperty("rounds", 3)), "has a 'rounds' that is not a list");
      assertRefused(edited(j -> j.addProperty("final_evaluations", "none")), "has a 'final_evaluations' that is not an object");
      assertRefused(edited(j -> j.addProperty("bytes_up", -5)), "holds a negative count (rounds_completed 2, rounds_total 2, "
          + "model_version 2, capacity 3, bytes_up -5, bytes_down " + JsonParser.parseString(fixture(DROPPED_AND_LATE))
          .getAsJsonObject().get("bytes_down").getAsLong() + ")");
      assertRefused(edited(j -> j.getAsJsonArray("rounds").get(1).getAsJsonObject().add("share_routes",
          JsonParser.parseString("{\"direct\":4,\"relayed\":-1}"))),
          "holds a negative share count in round 2 (direct 4, relayed -1)");
      assertRefused(edited(j -> j.getAsJsonArray("rounds").get(1).getAsJsonObject().add("share_routes",
          JsonParser.parseString("{\"direct\":4}"))), "lacks the field 'rounds[1].share_routes.relayed'");
      assertRefused("[1, 2]", "is not a JSON object");
      assertRefused(" ", "is empty");
      assertThatThrownBy(() -> StatusJson.read(edited(j -> j.add("initial_accuracy", JsonParser.parseString("1e999")))))
          .isInstanceOf(InvalidStatusException.class).hasMessageStartingWith("holds a value of the wrong type: ")
          .hasMessageContaining("Infinity");
      assertThatThrownBy(() -> StatusJson.read(edited(j -> j.add("bytes_up", JsonParser.parseString("1e30")))))
          .isInstanceOf(InvalidStatusException.class).hasMessageStartingWith("holds a value of the wrong type: ")
          .hasMessageContaining("bytes_up");
    }

    @Test
    @DisplayName("a field given twice, at any depth (which one would count?)")
    void repeatedField() throws Exception {
      String twice = fixture(FINISHED).replaceFirst("\"job_id\": \"jobT\",", "\"job_id\": \"jobT\", \"job_id\": \"jobU\",");
      assertRefused(twice, "repeats the field 'job_id'");
      String inRound = fixture(FINISHED).replaceFirst("\"attempts\": 1,", "\"attempts\": 1, \"attempts\": 2,");
      assertRefused(inRound, "repeats the field 'rounds[0].attempts'");
    }

    @Test
    @DisplayName("what is not strict JSON: NaN, a comment, text after the document")
    void notStrictJson() throws Exception {
      for (String bad : List.of(fixture(FINISHED).replace("0.26", "NaN"), "// status\n" + fixture(FINISHED),
          fixture(FINISHED) + " {}", "{\"job_id\": 'jobT'}")) {
        assertThatThrownBy(() -> StatusJson.read(bad)).isInstanceOf(InvalidStatusException.class)
            .hasMessageStartingWith("is not strict JSON: ");
      }
    }
  }

  @Nested
  @DisplayName("a status file")
  class Files_ {

    @TempDir
    Path dir;

    @Test
    @DisplayName("reads what the codec wrote")
    void reads() throws Exception {
      Path file = dir.resolve("status.json");
      Files.writeString(file, StatusJson.write(everyField()));

      assertThat(StatusJson.readFile(file)).isEqualTo(everyField());
    }

    @Test
    @DisplayName("above the size bound is refused after reading at most the bound, naming the file")
    void oversized() throws Exception {
      Path file = dir.resolve("huge.json");
      byte[] padding = new byte[StatusJson.MAX_FILE_BYTES + 1];
      Arrays.fill(padding, (byte) ' ');
      Files.write(file, padding);

      assertThatThrownBy(() -> StatusJson.readFile(file)).isInstanceOf(InvalidStatusException.class)
          .hasMessage("status file " + file + " is larger than 64 MiB, more than any status of a job; it is not a status file");
    }

    @Test
    @DisplayName("that is malformed is refused naming the file and the problem")
    void malformed() throws Exception {
      Path file = dir.resolve("status.json");
      Files.writeString(file, "{\"job_id\": \"jobT\"}");

      assertThatThrownBy(() -> StatusJson.readFile(file)).isInstanceOf(InvalidStatusException.class)
          .hasMessage("status file " + file + " lacks the field 'model'");
      Files.write(file, new byte[] {'{', (byte) 0xC3, '}'});
      assertThatThrownBy(() -> StatusJson.readFile(file)).isInstanceOf(InvalidStatusException.class)
          .hasMessage("status file " + file + " is not UTF-8 text");
    }

    @Test
    @DisplayName("that does not exist is a NoSuchFileException, not an invalid status")
    void missing() {
      assertThatThrownBy(() -> StatusJson.readFile(dir.resolve("absent.json"))).isInstanceOf(NoSuchFileException.class);
    }
  }

  @Test
  @DisplayName("a non-finite number cannot be written, so every written status reads back")
  void nonFiniteRefusedOnWrite() {
    JobStatus s = everyField();
    JobStatus nan = new JobStatus(s.jobId(), s.model(), s.initialModel(), s.exportedModel(), s.exportedRoundsDirectory(),
        s.strategy(), s.roundsCompleted(), s.roundsTotal(), s.finished(), s.modelVersion(), s.enrollment(),
        s.allowedParties(), s.capacity(), s.parties(), s.partiesConnected(), s.currentRound(), Double.NaN,
        s.accuracyPerRound(), s.finalAccuracy(), s.lateOrDropped(), s.rounds(), s.finalEvaluations(), s.bytesUp(),
        s.bytesDown(), s.tlsProvider(), s.updatedUnixMillis(), s.privacy(), s.endReason());

    assertThatThrownBy(() -> StatusJson.write(nan)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
  }
}
