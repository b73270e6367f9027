package dev.flotilla.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.status.StatusView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoReportTest {

  /** A finished job's status file as the aggregator writes it: party-3 dropped in round 2. */
  static final String FINISHED = """
      {"job_id":"job1","model":"mlp","initial_model":null,"exported_model":null,"exported_rounds_directory":null,
       "strategy":"fedavg","rounds_completed":3,"rounds_total":3,"finished":true,"model_version":3,
       "enrollment":"open","allowed_parties":null,"capacity":3,
       "parties":["party-1","party-2","party-3"],"parties_connected":[],"current_round":null,
       "initial_accuracy":0.1,"accuracy_per_round":[0.61,0.74,0.8],"final_accuracy":0.8123,
       "late_or_dropped":[{"round":1,"parties":[],"reasons":{}},
                          {"round":2,"parties":["party-3"],"reasons":{"party-3":"dropped"}},
                          {"round":3,"parties":[],"reasons":{}}],
       "rounds":[
         {"round":1,"attempts":1,"parties":["party-1","party-2","party-3"],"late_or_dropped":{},"samples":60000,
          "evaluated_model_version":0,"metrics":{"accuracy":0.1,"loss":2.3},"duration_seconds":12.5,
          "aggregation_seconds":0.01,"training_seconds":11.0,"evaluation_seconds":0.75,"protocol_seconds":0.75,
          "completed_unix_millis":1},
         {"round":2,"attempts":1,"parties":["party-1","party-2"],"late_or_dropped":{"party-3":"dropped"},
          "samples":40000,"evaluated_model_version":1,"metrics":{"accuracy":0.61},"duration_seconds":9.25,
          "aggregation_seconds":0.01,"training_seconds":8.0,"evaluation_seconds":0.5,"protocol_seconds":0.75,
          "completed_unix_millis":2},
         {"round":3,"attempts":1,"parties":["party-1","party-2"],"late_or_dropped":{},"samples":40000,
          "evaluated_model_version":2,"metrics":{"accuracy":0.74},"duration_seconds":9.0,
          "aggregation_seconds":0.01,"training_seconds":8.25,"evaluation_seconds":0.5,"protocol_seconds":0.25,
          "completed_unix_millis":3}],
       "final_evaluations":{},
       "bytes_up":2400000,"bytes_down":2500000,"tls_provider":"BoringSSL","updated_unix_millis":4}
      """;

  static JobStatus finished() throws Exception {
    return StatusJson.read(FINISHED);
  }

  private DemoReport report() throws Exception {
    return new DemoReport("mlp", "fedavg", "dirichlet:0.5", 3, finished(), List.of(12.5, 9.25, 9.0), 61.23456);
  }

  @Test
  @DisplayName("the report holds every field issue 4 asks for, with the server's figures")
  void fields() throws Exception {
    JsonObject json = report().toJson();

    assertThat(json.get("rounds_completed").getAsInt()).isEqualTo(3);
    assertThat(json.get("parties").getAsInt()).isEqualTo(3);
    assertThat(json.get("final_accuracy").getAsDouble()).isEqualTo(0.8123);
    assertThat(json.getAsJsonArray("accuracy_per_round")).hasSize(3);
    assertThat(json.getAsJsonArray("accuracy_per_round").get(2).getAsDouble()).isEqualTo(0.8);
    assertThat(json.get("tls_provider").getAsString()).isEqualTo("BoringSSL");
    assertThat(json.get("bytes_up").getAsLong()).isEqualTo(2_400_000);
    assertThat(json.get("bytes_down").getAsLong()).isEqualTo(2_500_000);
    assertThat(json.get("wall_seconds").getAsDouble()).isEqualTo(61.235);
    assertThat(json.getAsJsonObject("late_or_dropped").keySet()).containsExactly("2");
    assertThat(json.getAsJsonObject("late_or_dropped").getAsJsonArray("2").get(0).getAsString()).isEqualTo("party-3");
    assertThat(json.getAsJsonArray("party_names")).hasSize(3);
  }

  @Test
  @DisplayName("the report has each round's training, evaluation and protocol time, and their totals")
  void times() throws Exception {
    JsonObject json = report().toJson();

    assertThat(json.getAsJsonArray("round_times").get(1)).isEqualTo(JsonParser.parseString(
        "{\"round\":2,\"duration_seconds\":9.25,\"training_seconds\":8.0,\"evaluation_seconds\":0.5,\"protocol_seconds\":0.75}"));
    assertThat(json.get("training_seconds").getAsDouble()).isEqualTo(27.25);
    assertThat(json.get("evaluation_seconds").getAsDouble()).isEqualTo(1.75);
    assertThat(json.get("protocol_seconds").getAsDouble()).isEqualTo(1.75);
  }

  @Test
  @DisplayName("a status of an older server, without round times, reports them as null")
  void timesUnknown() throws Exception {
    JsonObject status = JsonParser.parseString(FINISHED).getAsJsonObject();
    status.getAsJsonArray("rounds").forEach(r -> r.getAsJsonObject().remove("training_seconds"));
    DemoReport old = new DemoReport("mlp", "fedavg", "iid", 3, StatusJson.read(status.toString()), List.of(1.0), 2.0);

    JsonObject json = old.toJson();
    assertThat(json.get("training_seconds").isJsonNull()).isTrue();
    assertThat(json.getAsJsonArray("round_times").get(0).getAsJsonObject().get("training_seconds").isJsonNull()).isTrue();
    assertThat(old.summary()).doesNotContain("round times");
  }

  @Test
  @DisplayName("the report file is written whole and parses back to the same JSON; beside it the HTML report, the web "
      + "view of the same status with the status inlined")
  void writes(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("reports/run.json");

    report().writeTo(file);

    assertThat(JsonParser.parseString(Files.readString(file))).isEqualTo(report().toJson());
    Path html = dir.resolve("reports/run.html");
    assertThat(Files.readString(html)).isEqualTo(StatusView.report(finished()));
    try (var files = Files.list(file.getParent())) {
      assertThat(files).containsExactlyInAnyOrder(file, html);
    }
  }

  @Test
  @DisplayName("the HTML report goes beside the JSON one: .json becomes .html, another name gets .html added")
  void htmlBeside() {
    assertThat(DemoReport.htmlBeside(Path.of("/r/report.json"))).isEqualTo(Path.of("/r/report.html"));
    assertThat(DemoReport.htmlBeside(Path.of("/r/REPORT.JSON"))).isEqualTo(Path.of("/r/REPORT.html"));
    assertThat(DemoReport.htmlBeside(Path.of("report.out"))).isEqualTo(Path.of("report.out.html"));
  }

  @Test
  @DisplayName("the summary names the final accuracy, the round times, traffic, TLS provider and dropped parties")
  void summary() throws Exception {
    assertThat(report().summary())
        .contains("3/3 rounds", "81.23%", "BoringSSL", "2.3 MiB up", "party-3", "61.2 s",
            "round times      training 27.3 s, evaluation 1.8 s, protocol 1.8 s over 3 rounds (protocol 0.583 s a round)");
  }

  @Test
  @DisplayName("a DP job ended by its budget: the report carries epsilon spent and the end reason, and the summary "
      + "says both on lines of their own; a job without a budget has neither")
  void privacy() throws Exception {
    String reason = "privacy budget exhausted: round 4 would take epsilon to 4.1, beyond --privacy-budget 4.0";
    JsonObject dp = JsonParser.parseString(FINISHED).getAsJsonObject();
    dp.add("privacy", JsonParser.parseString("{\"epsilon_budget\":4.0,\"delta\":1.0E-5,\"epsilon_spent\":3.25,"
        + "\"noise_multiplier\":1.1,\"clip_norm\":0.5,\"sampling_rate\":1.0,\"rounds_allowed\":3}"));
    dp.addProperty("end_reason", reason);
    DemoReport report = new DemoReport("mlp", "dp-fedavg", "iid", 3, StatusJson.read(dp.toString()), List.of(1.0), 2.0);

    JsonObject json = report.toJson();
    assertThat(json.get("epsilon_spent").getAsDouble()).isEqualTo(3.25);
    assertThat(json.get("end_reason").getAsString()).isEqualTo(reason);
    assertThat(report.summary()).contains("  privacy          epsilon 3.250 spent of 4.0 (delta 1.0E-5)\n",
        "  ended early      " + reason + "\n");

    assertThat(report().toJson().get("epsilon_spent").isJsonNull()).isTrue();
    assertThat(report().toJson().get("end_reason").isJsonNull()).isTrue();
    assertThat(report().summary()).doesNotContain("privacy", "ended early");
  }

  @Test
  @DisplayName("a round line shows the round, the parties aggregated, the accuracy of the model that round produced and its times")
  void roundLine() throws Exception {
    assertThat(DemoCommand.roundLine(finished(), 2, 9.25))
        .isEqualTo("round 2/3  parties 2  accuracy 74.00% (model after round 2)  time 9.3 s (training 8.0 s, "
            + "evaluation 0.5 s, protocol 0.8 s)  late or dropped: party-3");
    assertThat(DemoCommand.roundLine(finished(), 1, 3.0))
        .isEqualTo("round 1/3  parties 3  accuracy 61.00% (model after round 1)  time 12.5 s (training 11.0 s, "
            + "evaluation 0.8 s, protocol 0.8 s)");
  }
  @Test
  @DisplayName("a SecAgg+ round's line says how its shares travelled, from the round's status")
  void roundLineWithShareRoutes() throws Exception {
    JobStatus masked = StatusJson.read(FINISHED.replace("\"completed_unix_millis\":2}",
        "\"completed_unix_millis\":2,\"share_routes\":{\"direct\":9,\"relayed\":3}}"));

    assertThat(DemoCommand.roundLine(masked, 2, 9.25))
        .isEqualTo("round 2/3  parties 2  accuracy 74.00% (model after round 2)  time 9.3 s (training 8.0 s, "
            + "evaluation 0.5 s, protocol 0.8 s)  shares 9 party to party, 3 by the aggregator's relay  "
            + "late or dropped: party-3");
  }
}
