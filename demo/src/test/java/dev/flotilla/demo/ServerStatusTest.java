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

  static final String FINISHED = """
      {"job_id":"job1","rounds_completed":3,"rounds_total":3,"finished":true,
       "parties":["party-1","party-2","party-3"],
       "accuracy_per_round":[0.61,0.74,0.8],"final_accuracy":0.8123,
       "late_or_dropped":[[],["party-3"],[]],
       "bytes_up":2400000,"bytes_down":2500000,"tls_provider":"BoringSSL"}
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
    assertThat(status.lastRoundAccuracy()).hasValue(0.8);
  }

  @Test
  @DisplayName("a status written mid-job has no final accuracy and is not finished")
  void midJob() {
    ServerStatus status = ServerStatus.parse("""
        {"job_id":"job1","rounds_completed":1,"rounds_total":5,"finished":false,"parties":["party-1"],
         "accuracy_per_round":[0.5],"final_accuracy":null,"late_or_dropped":[],"bytes_up":1,"bytes_down":2,
         "tls_provider":"BoringSSL"}
        """);

    assertThat(status.finished()).isFalse();
    assertThat(status.finalAccuracy()).isEmpty();
    assertThat(status.lateOrDroppedParties()).isEmpty();
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
