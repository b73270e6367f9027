package dev.flotilla.server.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.protocol.status.MetricNames;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.status.RoundTimes;
import dev.flotilla.protocol.status.StatusJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("TerminationMessage: the finished job's summary, in place in the file Kubernetes keeps")
class TerminationMessageTest {

  static JobStatus finished() {
    RoundRecord r1 = new RoundRecord(1, 1, List.of("a", "b", "c"), Map.of(), 900, 0,
        Map.of(MetricNames.ACCURACY, 0.62, MetricNames.LOSS, 1.1), 3.0, 0.01, RoundTimes.UNKNOWN, 1_000L);
    RoundRecord r2 = new RoundRecord(2, 1, List.of("a", "b", "c"), Map.of(), 900, 1,
        Map.of(MetricNames.ACCURACY, 0.78, MetricNames.LOSS, 0.6), 3.0, 0.01, RoundTimes.UNKNOWN, 2_000L);
    return new JobStatus("fashion", "mlp", null, "/state/model-final.safetensors", null, "fedavg", 2, 2, true, 2,
        "allow-list", List.of("a", "b", "c"), 3, List.of("a", "b", "c"), List.of("a", "b", "c"), null, 0.1,
        List.of(0.78, 0.83), 0.83, List.of(), List.of(r1, r2), Map.of(), 10L, 20L, "BoringSSL", 3_000L, null, null);
  }

  @Test
  @DisplayName("writes the summary (rounds 2/2, 3 of 3 parties, accuracy 0.83, loss 0.6) over a longer file's bytes")
  void writesSummary(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("termination-log");
    Files.writeString(file, "x".repeat(5000));
    TerminationMessage.write(file, finished());
    assertThat(StatusJson.readSummary(Files.readString(file)))
        .isEqualTo(new JobSummary("fashion", 2, 2, true, 3, 3, 0.83, 0.6, 0.83, 2_000L, 3_000L, null, null));
  }

  @Test
  @DisplayName("a file that cannot be written is logged, not thrown: the job is done either way")
  void unwritable(@TempDir Path dir) {
    TerminationMessage.write(dir.resolve("missing-dir").resolve("termination-log"), finished());
    assertThat(dir.resolve("missing-dir")).doesNotExist();
  }
}
