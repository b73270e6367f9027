package dev.flotilla.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerStatusTest {

  /** Shaped like the aggregator's status document (RoundCoordinator.status()). */
  static final String FINISHED = """
      {"job_id":"job1","model":"mlp","strategy":"fedavg","rounds_completed":3,"rounds_total":3,"finished":true,
       "model_version":3,"parties":["party-1","party-2","party-3"],"parties_connected":[],"current_round":null,
       "initial_accuracy":0.1,"accuracy_per_round":[0.61,0.74,0.8],"final_accuracy":0.8123,
       "late_or_dropped":[{"round":1,"parties":[],"reasons":{}},
                          {"round":2,"parties":["party-3"],"reasons":{"party-3":"dropped"}},
                          {"round":3,"parties":[],"reasons":{}}],
       "rounds":[
         {"round":1,"attempts":1,"parties":["party-1","party-2","party-3"],"late_or_dropped":{},"samples":60000,
          "evaluated_model_version":0,"metrics":{"accuracy":0.1,"loss":2.3},"duration_seconds":12.5,
          "aggregation_seconds":0.01,"completed_unix_millis":1},
         {"round":2,"attempts":1,"parties":["party-1","party-2"],"late_or_dropped":{"party-3":"dropped"},
          "samples":40000,"evaluated_model_version":1,"metrics":{"accuracy":0.61,"loss":NaN},"duration_seconds":9.25,
          "aggregation_seconds":0.01,"completed_unix_millis":2},
         {"round":3,"attempts":1,"parties":["party-1","party-2"],"late_or_dropped":{},"samples":40000,
          "evaluated_model_version":2,"metrics":{"accuracy":0.74},"duration_seconds":9.0,
          "aggregation_seconds":0.01,"completed_unix_millis":3}],
       "final_evaluations":{},
       "bytes_up":2400000,"bytes_down":2500000,"tls_provider":"BoringSSL","updated_unix_millis":4}
      """;

  @Test
  @DisplayName("every field of a finished job's status file is read")
  void readsEveryField() {
    ServerStatus status = ServerStatus.parse(FINISHED);

    assertThat(status.jobId()).isEqualTo("job1");
    assertThat(status.roundsCompleted()).isEqualTo(3);
    assertThat(status.roundsTotal()).isEqualTo(3);
    assertThat(status.finished()).isTrue();
    assertThat(status.parties()).containsExactly("party-1", "party-2", "party-3");
    assertThat(status.accuracyPerRound()).containsExactly(0.61, 0.74, 0.8);
    assertThat(status.finalAccuracy()).hasValue(0.8123);
    assertThat(status.lateOrDropped()).isEqualTo(Map.of(2, List.of("party-3")));
    assertThat(status.bytesUp()).isEqualTo(2_400_000);
    assertThat(status.bytesDown()).isEqualTo(2_500_000);
    assertThat(status.tlsProvider()).isEqualTo("BoringSSL");
    assertThat(status.accuracyAfterRound(3)).hasValue(0.8);
    assertThat(status.rounds()).hasSize(3);
    assertThat(status.round(2)).get().satisfies(r -> {
      assertThat(r.parties()).containsExactly("party-1", "party-2");
      assertThat(r.lateOrDropped()).containsExactly("party-3");
      assertThat(r.accuracy()).hasValue(0.61);
      assertThat(r.evaluatedModelVersion()).isEqualTo(1);
      assertThat(r.durationSeconds()).isEqualTo(9.25);
    });
  }

  @Test
  @DisplayName("a status written mid-job is not finished, has no final accuracy, and keeps unknown accuracies in place")
  void midJob() {
    ServerStatus status = ServerStatus.parse("""
        {"job_id":"job1","rounds_completed":2,"rounds_total":5,"finished":false,"parties":["party-1"],
         "accuracy_per_round":[0.5,null],"final_accuracy":null,"late_or_dropped":[],"bytes_up":1,"bytes_down":2,
         "tls_provider":"BoringSSL"}
        """);

    assertThat(status.finished()).isFalse();
    assertThat(status.finalAccuracy()).isEmpty();
    assertThat(status.lateOrDroppedParties()).isEmpty();
    assertThat(status.accuracyPerRound()).containsExactly(0.5, null);
    assertThat(status.accuracyAfterRound(1)).hasValue(0.5);
    assertThat(status.accuracyAfterRound(2)).isEmpty();
  }

  @Test
  @DisplayName("late or dropped parties are read from a list of lists, a map by round, or a list of round objects")
  void lateOrDroppedShapes() {
    assertThat(ServerStatus.parse("{\"late_or_dropped\":{\"2\":[\"party-3\"],\"4\":[]}}").lateOrDropped())
        .isEqualTo(Map.of(2, List.of("party-3")));
    assertThat(ServerStatus.parse(
            "{\"late_or_dropped\":[{\"round\":1,\"late\":[],\"dropped\":[\"party-2\"]},{\"round\":3,\"late\":[\"party-1\"]}]}")
        .lateOrDropped())
        .isEqualTo(Map.of(1, List.of("party-2"), 3, List.of("party-1")));
    assertThat(ServerStatus.parse("{\"late_or_dropped\":[{\"round\":2,\"party\":\"party-3\"}]}").lateOrDroppedParties())
        .containsExactly("party-3");
    assertThat(ServerStatus.parse("{\"late_or_dropped\":{\"2\":{\"party-3\":\"dropped\",\"party-1\":\"late\"}}}")
            .lateOrDropped())
        .isEqualTo(Map.of(2, List.of("party-3", "party-1")));
  }

  @Test
  @DisplayName("a missing or unreadable status file reads as absent, not as an error")
  void absent(@TempDir Path dir) throws Exception {
    assertThat(ServerStatus.read(dir.resolve("status.json"))).isEmpty();
    Files.writeString(dir.resolve("status.json"), "{\"job_id\":");
    assertThat(ServerStatus.read(dir.resolve("status.json"))).isEmpty();
    Files.writeString(dir.resolve("status.json"), FINISHED);
    assertThat(ServerStatus.read(dir.resolve("status.json"))).get().extracting(ServerStatus::roundsCompleted).isEqualTo(3);
  }
}
