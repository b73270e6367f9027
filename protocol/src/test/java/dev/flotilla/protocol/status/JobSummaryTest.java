package dev.flotilla.protocol.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("JobSummary: the few numbers of a job that fit a termination message")
class JobSummaryTest {

  @Test
  @DisplayName("of(status): newest known accuracy, newest reported loss, connected and expected parties, last round's time")
  void ofStatus() {
    JobSummary s = JobSummary.of(StatusJsonTest.everyField());
    assertThat(s).isEqualTo(new JobSummary("job7", 2, 3, true, 1, 3, 0.5, 1.5, 0.75, 1_796_408_234_999L, 1_796_408_235_000L,
        3.25, "the privacy budget allows 2 of 3 rounds"));
  }

  @Test
  @DisplayName("written as one line of strict JSON well under the 4096 bytes Kubernetes keeps, and read back equal")
  void roundTrip() throws Exception {
    JobSummary s = JobSummary.of(StatusJsonTest.everyField());
    String json = StatusJson.writeSummary(s);
    assertThat(json).doesNotContain("\n").contains("\"rounds_completed\":2", "\"final_accuracy\":0.75");
    assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThan(1024);
    assertThat(StatusJson.readSummary(json)).isEqualTo(s);
    JobSummary early = new JobSummary("j", 0, 5, false, 0, 3, null, null, null, null, 1L, null, null);
    assertThat(StatusJson.readSummary(StatusJson.writeSummary(early))).isEqualTo(early);
  }

  @Test
  @DisplayName("a message that is not a summary is refused saying why: too long, not JSON, a field missing, a negative count")
  void refusals() {
    String good = StatusJson.writeSummary(JobSummary.of(StatusJsonTest.everyField()));
    assertThatThrownBy(() -> StatusJson.readSummary(" ".repeat(4097))).isInstanceOf(InvalidStatusException.class)
        .hasMessageContaining("longer than 4096");
    assertThatThrownBy(() -> StatusJson.readSummary("Error: job failed\n\tat x")).isInstanceOf(InvalidStatusException.class)
        .hasMessageContaining("not strict JSON");
    assertThatThrownBy(() -> StatusJson.readSummary(good.replace("\"rounds_total\":3,", "")))
        .isInstanceOf(InvalidStatusException.class).hasMessageContaining("lacks the field 'rounds_total'");
    assertThatThrownBy(() -> StatusJson.readSummary(good.replace("\"rounds_completed\":2", "\"rounds_completed\":-2")))
        .isInstanceOf(InvalidStatusException.class).hasMessageContaining("negative count");
    assertThatThrownBy(() -> StatusJson.readSummary(good.replace("\"finished\":true", "\"finished\":\"yes\"")))
        .isInstanceOf(InvalidStatusException.class).hasMessageContaining("wrong type");
  }
}
