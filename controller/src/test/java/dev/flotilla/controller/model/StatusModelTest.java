package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJobStatus;
import dev.flotilla.controller.model.StatusModel.Observation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("StatusModel: conditions, phase and learning progress of a job")
class StatusModelTest {

  private static final JobModel JOB = new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "fl"));
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static List<Observation> allReady() {
    return List.of(new Observation(StatusModel.CERTIFICATES_READY, true, "Issued", "ok"),
        new Observation(StatusModel.DNS_READY, true, "Published", "ok"),
        new Observation(StatusModel.INGRESS_READY, true, "Applied", "ok"),
        new Observation(StatusModel.POD_READY, false, "PodNotReady", "pending"));
  }

  @Test
  @DisplayName("status carries observedGeneration, endpoint, TLS mode, the conditions in order, and the pod's phase")
  void fields() {
    Pod pod = new PodBuilder().withNewMetadata().withName("p").endMetadata().withNewStatus().withPhase("Running").endStatus().build();
    IflearnerJobStatus s = StatusModel.build(JOB, null, allReady(), PodOutcome.of(JOB, pod), false, T0);
    assertThat(s.getObservedGeneration()).isEqualTo(1L);
    assertThat(s.getEndpoint()).isEqualTo("job1.server.iflearner.com:443");
    assertThat(s.getTlsMode()).isEqualTo("terminate");
    assertThat(s.getPhase()).isEqualTo("Running");
    assertThat(s.getConditions()).extracting(c -> c.getType() + "=" + c.getStatus())
        .containsExactly("CertificatesReady=True", "DNSReady=True", "IngressReady=True", "PodReady=False");
    assertThat(s.getConditions()).allSatisfy(c -> {
      assertThat(c.getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
      assertThat(c.getObservedGeneration()).isEqualTo(1L);
    });
  }

  @Test
  @DisplayName("an unchanged observation keeps its transition time, so the same state gives an equal status (no write)")
  void stableTransitions() {
    IflearnerJobStatus first = StatusModel.build(JOB, null, allReady(), null, false, T0);
    IflearnerJobStatus second = StatusModel.build(JOB, first, allReady(), null, false, T0.plusSeconds(600));
    assertThat(second).isEqualTo(first);
    List<Observation> podReady = new java.util.ArrayList<>(allReady());
    podReady.set(3, new Observation(StatusModel.POD_READY, true, "PodReady", "ready"));
    IflearnerJobStatus third = StatusModel.build(JOB, first, podReady, null, false, T0.plusSeconds(600));
    assertThat(third.getConditions().get(3).getLastTransitionTime()).isEqualTo("2026-01-01T00:10:00Z");
    assertThat(third.getConditions().get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
  }

  @Test
  @DisplayName("a refused job (HostAccepted=False) shows phase Refused, the one condition, and no endpoint; HostAccepted comes first when accepted")
  void refused() {
    Observation refusal = new Observation(StatusModel.HOST_ACCEPTED, false, "HostDoesNotFitRole", "spec.role client: ...");
    IflearnerJobStatus s = StatusModel.build(JOB, null, List.of(refusal), null, false, T0);
    assertThat(s.getPhase()).isEqualTo("Refused");
    assertThat(s.getEndpoint()).isNull();
    assertThat(s.getConditions()).singleElement().satisfies(c -> {
      assertThat(c.getType()).isEqualTo("HostAccepted");
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("HostDoesNotFitRole");
    });
    List<Observation> accepted = new java.util.ArrayList<>(allReady());
    accepted.add(new Observation(StatusModel.HOST_ACCEPTED, true, "Accepted", "ok"));
    assertThat(StatusModel.build(JOB, null, accepted, null, false, T0).getConditions()).extracting(c -> c.getType())
        .containsExactly("HostAccepted", "CertificatesReady", "DNSReady", "IngressReady", "PodReady");
  }

  @Test
  @DisplayName("a failed reconcile shows phase Error, unless the pod already ended; no pod yet shows Pending")
  void phases() {
    assertThat(StatusModel.build(JOB, null, allReady(), null, true, T0).getPhase()).isEqualTo("Error");
    assertThat(StatusModel.build(JOB, null, allReady(), null, false, T0).getPhase()).isEqualTo("Pending");
    assertThat(StatusModel.build(JOB, null, allReady(), PodOutcome.of(JOB, null), false, T0).getPhase()).isEqualTo("Pending");
    Pod done = new PodBuilder().withNewMetadata().withName("p").endMetadata().withNewStatus().withPhase("Succeeded").endStatus().build();
    assertThat(StatusModel.build(JOB, null, allReady(), PodOutcome.of(JOB, done), true, T0).getPhase()).isEqualTo("Succeeded");
  }

  @Test
  @DisplayName("an aggregator's summary fills round, rounds, parties, accuracy, loss, final accuracy and the last round's time; "
      + "later passes without a summary keep them, so the status stays equal")
  void progress() {
    JobModel server = new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "fl"));
    Pod done = PodOutcomeTest.terminated("Succeeded", 0,
        "{\"job_id\":\"fashion\",\"rounds_completed\":5,\"rounds_total\":5,\"finished\":true,\"parties_connected\":3,"
            + "\"parties_expected\":3,\"last_accuracy\":0.8312,\"last_loss\":0.47,\"final_accuracy\":0.8301,"
            + "\"last_round_unix_millis\":1796408234999,\"updated_unix_millis\":1796408235000}");
    IflearnerJobStatus s = StatusModel.build(server, null, allReady(), PodOutcome.of(server, done), false, T0);
    assertThat(s.getPhase()).isEqualTo("Succeeded");
    assertThat(s.getRound()).isEqualTo(5);
    assertThat(s.getRounds()).isEqualTo(5);
    assertThat(s.getPartiesConnected()).isEqualTo(3);
    assertThat(s.getPartiesExpected()).isEqualTo(3);
    assertThat(s.getAccuracy()).isEqualTo(0.8312);
    assertThat(s.getLoss()).isEqualTo(0.47);
    assertThat(s.getFinalAccuracy()).isEqualTo(0.8301);
    assertThat(s.getLastRoundTime()).isEqualTo("2026-12-04T18:17:14Z");
    IflearnerJobStatus again = StatusModel.build(server, s, allReady(), PodOutcome.of(server, null), false, T0.plusSeconds(60));
    assertThat(again.getRound()).isEqualTo(5);
    assertThat(again.getAccuracy()).isEqualTo(0.8312);
    assertThat(StatusModel.build(server, s, allReady(), PodOutcome.of(server, done), false, T0.plusSeconds(60))).isEqualTo(s);
  }

  @Test
  @DisplayName("live progress fills round, rounds, parties, accuracy, loss and last round time; polled again with only a newer "
      + "making time it gives an equal status (no write); the pod's termination summary wins over it")
  void liveProgress() {
    Pod running = new PodBuilder().withNewMetadata().withName("p").endMetadata().withNewStatus().withPhase("Running").endStatus().build();
    dev.flotilla.protocol.status.JobSummary live = new dev.flotilla.protocol.status.JobSummary("job1", 2, 5, false, 3, 3, 0.74,
        0.61, null, Instant.parse("2026-01-01T00:05:00.250Z").toEpochMilli(), 1L, null, null);
    IflearnerJobStatus first = StatusModel.build(JOB, null, allReady(), PodOutcome.of(JOB, running), live, false, T0);
    assertThat(first.getRound()).isEqualTo(2);
    assertThat(first.getRounds()).isEqualTo(5);
    assertThat(first.getPartiesConnected()).isEqualTo(3);
    assertThat(first.getPartiesExpected()).isEqualTo(3);
    assertThat(first.getAccuracy()).isEqualTo(0.74);
    assertThat(first.getLoss()).isEqualTo(0.61);
    assertThat(first.getLastRoundTime()).isEqualTo("2026-01-01T00:05:00Z");
    assertThat(first.getPhase()).isEqualTo("Running");

    dev.flotilla.protocol.status.JobSummary again = new dev.flotilla.protocol.status.JobSummary("job1", 2, 5, false, 3, 3, 0.74,
        0.61, null, live.lastRoundUnixMillis(), 99_999L, null, null);
    assertThat(StatusModel.build(JOB, first, allReady(), PodOutcome.of(JOB, running), again, false, T0.plusSeconds(10)))
        .isEqualTo(first);
    IflearnerJobStatus noLive = StatusModel.build(JOB, first, allReady(), PodOutcome.of(JOB, running), null, false, T0.plusSeconds(20));
    assertThat(noLive).as("without a poll the last numbers stay").isEqualTo(first);
  }
}
