package dev.flotilla.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoReportTest {

  private final DemoReport report = new DemoReport("mlp", "fedavg", "dirichlet:0.5", 3,
      ServerStatus.parse(ServerStatusTest.FINISHED), List.of(12.5, 9.25, 9.0), 61.23456);

  @Test
  @DisplayName("the report holds every field issue 4 asks for, with the server's figures")
  void fields() {
    JsonObject json = report.toJson();

    assertThat(json.get("rounds_completed").getAsInt()).isEqualTo(3);
    assertThat(json.get("parties").getAsInt()).isEqualTo(3);
    assertThat(json.get("final_accuracy").getAsDouble()).isEqualTo(0.8123);
    assertThat(json.getAsJsonArray("accuracy_per_round")).hasSize(3);
    assertThat(json.getAsJsonArray("accuracy_per_round").get(2).getAsDouble()).isEqualTo(0.8);
    assertThat(json.get("tls_provider").getAsString()).isEqualTo("BoringSSL");
    assertThat(json.get("bytes_up").getAsLong()).isEqualTo(2_400_000);
    assertThat(json.get("bytes_down").getAsLong()).isEqualTo(2_500_000);
    assertThat(json.get("wall_seconds").getAsDouble()).isEqualTo(61.235);
    assertThat(json.getAsJsonObject("late_or_dropped").getAsJsonArray("2").get(0).getAsString()).isEqualTo("party-3");
    assertThat(json.getAsJsonArray("party_names")).hasSize(3);
  }

  @Test
  @DisplayName("the report file is written whole and parses back to the same JSON")
  void writes(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("reports/run.json");

    report.writeTo(file);

    assertThat(JsonParser.parseString(Files.readString(file))).isEqualTo(report.toJson());
    try (var files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  @DisplayName("the summary names the final accuracy, traffic, TLS provider and dropped parties")
  void summary() {
    assertThat(report.summary())
        .contains("3/3 rounds", "81.23%", "BoringSSL", "2.3 MiB up", "party-3", "61.2 s");
  }

  @Test
  @DisplayName("a round line shows the round, the parties aggregated, the accuracy the parties measured and the round's time")
  void roundLine() {
    assertThat(DemoCommand.roundLine(ServerStatus.parse(ServerStatusTest.FINISHED), 2, 9.25))
        .isEqualTo("round 2/3  parties 2  accuracy 61.00% (model after round 1)  time 9.3 s  late or dropped: party-3");
    assertThat(DemoCommand.roundLine(ServerStatus.parse(ServerStatusTest.FINISHED), 1, 3.0))
        .isEqualTo("round 1/3  parties 3  accuracy 10.00% (initial model)  time 12.5 s");
  }
}
