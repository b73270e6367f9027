package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.model.StatusModel.Observation;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PartyPodsOutcome: the phase and PodReady of a job's N party pods together")
class PartyPodsOutcomeTest {

  private static PodOutcome pod(String phase, boolean ready, String reason, String message) {
    return new PodOutcome(phase, new Observation(StatusModel.POD_READY, ready, reason, message), Optional.empty());
  }

  private static final PodOutcome READY = pod(PodOutcome.RUNNING, true, "PodReady", "ready");
  private static final PodOutcome PENDING = pod("Pending", false, "PodMissing", "the pod does not exist yet");
  private static final PodOutcome DONE = pod(PodOutcome.SUCCEEDED, false, PodOutcome.COMPLETED, "pod p1 completed (exit 0)");

  @Test
  @DisplayName("all ready: Running, PodReady True, 3 of 3")
  void allReady() {
    PartyPodsOutcome o = PartyPodsOutcome.of(List.of(READY, READY, READY));
    assertThat(o.ready()).isEqualTo(3);
    assertThat(o.total()).isEqualTo(3);
    assertThat(o.outcome().phase()).isEqualTo(PodOutcome.RUNNING);
    assertThat(o.outcome().podReady()).isEqualTo(new Observation(StatusModel.POD_READY, true, PartyPodsOutcome.PODS_READY,
        "3 of 3 party pods ready"));
  }

  @Test
  @DisplayName("one missing: Running, PodReady False with the missing pod's reason and the count")
  void oneMissing() {
    PartyPodsOutcome o = PartyPodsOutcome.of(List.of(READY, PENDING));
    assertThat(o.ready()).isEqualTo(1);
    assertThat(o.outcome().phase()).isEqualTo(PodOutcome.RUNNING);
    assertThat(o.outcome().podReady()).isEqualTo(new Observation(StatusModel.POD_READY, false, "PodMissing",
        "1 of 2 party pods ready; the pod does not exist yet"));
    assertThat(PartyPodsOutcome.of(List.of(PENDING, PENDING)).outcome().phase()).isEqualTo("Pending");
  }

  @Test
  @DisplayName("one failed: Failed with its reason; all completed: Succeeded; some completed, one running: Running")
  void ends() {
    PodOutcome failed = pod(PodOutcome.FAILED, false, PodOutcome.POD_FAILED, "pod p0 failed: exit 6");
    PodOutcome f = PartyPodsOutcome.of(List.of(READY, failed)).outcome();
    assertThat(f.phase()).isEqualTo(PodOutcome.FAILED);
    assertThat(f.podReady().reason()).isEqualTo(PodOutcome.POD_FAILED);
    assertThat(f.podReady().message()).isEqualTo("1 of 2 party pods ready; pod p0 failed: exit 6");
    PodOutcome s = PartyPodsOutcome.of(List.of(DONE, DONE)).outcome();
    assertThat(s.phase()).isEqualTo(PodOutcome.SUCCEEDED);
    assertThat(s.podReady().message()).startsWith("all 2 party pods completed; ");
    PartyPodsOutcome mixed = PartyPodsOutcome.of(List.of(DONE, READY));
    assertThat(mixed.outcome().phase()).isEqualTo(PodOutcome.RUNNING);
    assertThat(mixed.outcome().podReady().message()).isEqualTo("1 of 2 party pods ready; pod p1 completed (exit 0)");
  }
}
