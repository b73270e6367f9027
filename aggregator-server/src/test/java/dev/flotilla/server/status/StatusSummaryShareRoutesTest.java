package dev.flotilla.server.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.status.StatusJson;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@code flotilla status} prints, per SecAgg+ round, how its shares travelled (the round's share_routes). */
class StatusSummaryShareRoutesTest {
  private static final String STATUS = """
      {"job_id":"jobM","model":"mlp","initial_model":null,"exported_model":null,"exported_rounds_directory":null,
       "strategy":"fedavg","rounds_completed":2,"rounds_total":2,"finished":true,"model_version":2,
       "enrollment":"open","allowed_parties":null,"capacity":4,
       "parties":["p1","p2","p3","p4"],"parties_connected":[],"current_round":null,
       "initial_accuracy":0.1,"accuracy_per_round":[0.61,0.74],"final_accuracy":0.74,
       "late_or_dropped":[{"round":1,"parties":[],"reasons":{}},{"round":2,"parties":[],"reasons":{}}],
       "rounds":[
         {"round":1,"attempts":1,"parties":["p1","p2","p3","p4"],"late_or_dropped":{},"samples":400,
          "evaluated_model_version":0,"metrics":{"accuracy":0.1},"duration_seconds":2.5,"aggregation_seconds":0.01,
          "training_seconds":null,"evaluation_seconds":null,"protocol_seconds":null,"completed_unix_millis":1,
          "share_routes":{"direct":12,"relayed":0}},
         {"round":2,"attempts":1,"parties":["p1","p2","p3","p4"],"late_or_dropped":{},"samples":400,
          "evaluated_model_version":1,"metrics":{"accuracy":0.61},"duration_seconds":2.0,"aggregation_seconds":0.01,
          "training_seconds":null,"evaluation_seconds":null,"protocol_seconds":null,"completed_unix_millis":2,
          "share_routes":{"direct":9,"relayed":3}}],
       "final_evaluations":{},
       "bytes_up":2400000,"bytes_down":2500000,"tls_provider":"BoringSSL","updated_unix_millis":4}
      """;

  @Test
  @DisplayName("after the round table: each masked round's shares party to party and by the aggregator's relay")
  void shareRoutesPerRound() throws Exception {
    List<String> lines = StatusSummary.of(StatusJson.read(STATUS)).lines().toList();

    int header = lines.indexOf("SecAgg+ shares:");
    assertThat(header).isPositive();
    assertThat(lines.subList(header + 1, header + 3)).containsExactly(
        "  round 1: 12 party to party, 0 by the aggregator's relay",
        "  round 2: 9 party to party, 3 by the aggregator's relay");
  }

  @Test
  @DisplayName("a job without SecAgg+ prints no share lines")
  void noShareLinesWithoutSecureAggregation() throws Exception {
    String plain = STATUS.replaceAll(",\\s*\"share_routes\":\\{[^}]*\\}", "");

    assertThat(plain).doesNotContain("share_routes");
    assertThat(StatusSummary.of(StatusJson.read(plain))).doesNotContain("SecAgg+ shares");
  }
}
