package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("PodOutcome: what the job's pod says about the job")
class PodOutcomeTest {

  static final JobModel SERVER = new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "fl"));
  static final JobModel IFLEARNER = new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "fl"));
  static final String SUMMARY = "{\"job_id\":\"fashion\",\"rounds_completed\":5,\"rounds_total\":5,\"finished\":true,"
      + "\"parties_connected\":3,\"parties_expected\":3,\"last_accuracy\":0.8312,\"last_loss\":0.47,\"final_accuracy\":0.8301,"
      + "\"last_round_unix_millis\":1796408234999,\"updated_unix_millis\":1796408235000}";

  /** A pod whose first container ("server") terminated with {@code exitCode} and {@code message}. */
  static Pod terminated(String phase, int exitCode, String message) {
    return new PodBuilder().withNewMetadata().withName("fashion-server").endMetadata().withNewStatus().withPhase(phase)
        .addNewContainerStatus().withName("server").withImage("localhost/flotilla/server:0.1.0-SNAPSHOT").withNewState().withNewTerminated()
        .withExitCode(exitCode).withReason(exitCode == 0 ? "Completed" : "Error").withMessage(message)
        .endTerminated().endState().endContainerStatus().endStatus().build();
  }

  static Pod waiting(String phase, String container, String image, String reason, String message) {
    return new PodBuilder().withNewMetadata().withName("iflearnerjob-server").endMetadata().withNewStatus().withPhase(phase)
        .addNewContainerStatus().withName(container).withImage(image).withNewState().withNewWaiting().withReason(reason)
        .withMessage(message).endWaiting().endState().endContainerStatus().endStatus().build();
  }

  @Nested
  @DisplayName("an aggregator that ended")
  class Ended {
    @Test
    @DisplayName("exit 0 with a finished summary: Succeeded, the summary's numbers, a message with rounds and final accuracy")
    void succeeded() {
      PodOutcome o = PodOutcome.of(SERVER, terminated("Succeeded", 0, SUMMARY));
      assertThat(o.phase()).isEqualTo("Succeeded");
      assertThat(o.summary()).hasValueSatisfying(s -> {
        assertThat(s.roundsCompleted()).isEqualTo(5);
        assertThat(s.finalAccuracy()).isEqualTo(0.8301);
      });
      assertThat(o.podReady().reason()).isEqualTo("Completed");
      assertThat(o.podReady().message()).isEqualTo("the aggregator in pod fashion-server finished 5 of 5 rounds, final accuracy 0.8301");
    }

    @Test
    @DisplayName("exit 0 with a summary of 2 of 5 rounds: Failed (Unfinished), the numbers still reported")
    void unfinished() {
      PodOutcome o = PodOutcome.of(SERVER, terminated("Succeeded", 0,
          SUMMARY.replace("\"rounds_completed\":5", "\"rounds_completed\":2").replace("\"finished\":true", "\"finished\":false")));
      assertThat(o.phase()).isEqualTo("Failed");
      assertThat(o.podReady().reason()).isEqualTo("Unfinished");
      assertThat(o.podReady().message()).endsWith("ended after 2 of 5 rounds");
      assertThat(o.summary()).hasValueSatisfying(s -> assertThat(s.roundsCompleted()).isEqualTo(2));
    }

    @Test
    @DisplayName("exit 0 with no or a malformed summary: Failed (NoSummary), saying what was wrong with the message")
    void noSummary() {
      PodOutcome empty = PodOutcome.of(SERVER, terminated("Succeeded", 0, null));
      assertThat(empty.phase()).isEqualTo("Failed");
      assertThat(empty.podReady().reason()).isEqualTo("NoSummary");
      assertThat(empty.podReady().message()).contains("the message is empty");
      PodOutcome garbage = PodOutcome.of(SERVER, terminated("Succeeded", 0, "{\"job_id\":\"fashion\"}"));
      assertThat(garbage.podReady().message()).contains("lacks the field 'rounds_completed'");
      assertThat(garbage.summary()).isEmpty();
    }

    @Test
    @DisplayName("a failed pod: Failed with the exit code and the end of its log, on one line and bounded")
    void failed() {
      String log = "Exception in thread \"main\"\n" + "x".repeat(1000) + "\njava.lang.IllegalStateException: no parties joined";
      PodOutcome o = PodOutcome.of(SERVER, terminated("Failed", 1, log));
      assertThat(o.phase()).isEqualTo("Failed");
      assertThat(o.podReady().reason()).isEqualTo("PodFailed");
      assertThat(o.podReady().message()).startsWith("pod fashion-server failed: exit code 1 (Error): ...")
          .endsWith("no parties joined").doesNotContain("\n").hasSizeLessThan(400);
    }

    @Test
    @DisplayName("an iflearner pod that exits 0 is Succeeded without a summary (it writes none)")
    void otherRuntime() {
      Pod pod = new PodBuilder(terminated("Succeeded", 0, "")).editStatus().editContainerStatus(0).withName("iflearnerjob-server")
          .endContainerStatus().endStatus().build();
      PodOutcome o = PodOutcome.of(IFLEARNER, pod);
      assertThat(o.phase()).isEqualTo("Succeeded");
      assertThat(o.podReady().reason()).isEqualTo("Completed");
      assertThat(o.summary()).isEmpty();
    }
  }

  @Test
  @DisplayName("a job whose status says Succeeded or Failed for its current generation has ended; a new generation has not")
  void ended() {
    var job = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
    assertThat(PodOutcome.ended(job)).isFalse();
    job.setStatus(new dev.flotilla.controller.api.IflearnerJobStatus());
    job.getStatus().setObservedGeneration(1L);
    job.getStatus().setPhase("Running");
    assertThat(PodOutcome.ended(job)).isFalse();
    job.getStatus().setPhase("Succeeded");
    assertThat(PodOutcome.ended(job)).isTrue();
    assertThat(PodOutcome.endedWithoutPod(job).phase()).isEqualTo("Succeeded");
    assertThat(PodOutcome.endedWithoutPod(job).podReady().reason()).isEqualTo("Ended");
    job.getStatus().setPhase("Failed");
    assertThat(PodOutcome.ended(job)).isTrue();
    job.getMetadata().setGeneration(2L);
    assertThat(PodOutcome.ended(job)).as("spec edited since").isFalse();
  }

  @Nested
  @DisplayName("a pod that has not ended")
  class NotEnded {
    @Test
    @DisplayName("an image that cannot be pulled: Pending, ImagePullFailed naming the image and container, the same words for ErrImagePull and ImagePullBackOff")
    void imagePull() {
      PodOutcome err = PodOutcome.of(IFLEARNER, waiting("Pending", "iflearnerjob-server", "ghcr.io/iflytek/iflearner:v0.1.0",
          "ErrImagePull", "rpc error: failed to resolve reference"));
      PodOutcome backOff = PodOutcome.of(IFLEARNER, waiting("Pending", "iflearnerjob-server", "ghcr.io/iflytek/iflearner:v0.1.0",
          "ImagePullBackOff", "Back-off pulling image"));
      assertThat(err.phase()).isEqualTo("Pending");
      assertThat(err.podReady().reason()).isEqualTo("ImagePullFailed");
      assertThat(err.podReady().message()).startsWith("cannot pull image ghcr.io/iflytek/iflearner:v0.1.0 for container "
          + "iflearnerjob-server of pod iflearnerjob-server (ErrImagePull / ImagePullBackOff)");
      assertThat(backOff.podReady()).isEqualTo(err.podReady());
      assertThat(PodOutcome.WARNINGS).contains(err.podReady().reason());
    }

    @Test
    @DisplayName("a container in CrashLoopBackOff under restartPolicy OnFailure: still Running, the reason and its last exit")
    void crashLoop() {
      Pod pod = new PodBuilder(waiting("Running", "server", "localhost/flotilla/server:0.1.0-SNAPSHOT", "CrashLoopBackOff", "back-off 40s"))
          .editStatus().editContainerStatus(0).withNewLastState().withNewTerminated().withExitCode(137).withReason("OOMKilled")
          .endTerminated().endLastState().endContainerStatus().endStatus().build();
      PodOutcome o = PodOutcome.of(SERVER, pod);
      assertThat(o.phase()).isEqualTo("Running");
      assertThat(o.podReady().reason()).isEqualTo("CrashLoopBackOff");
      assertThat(o.podReady().message()).contains("container server of pod iflearnerjob-server keeps failing")
          .endsWith("exit code 137 (OOMKilled)");
    }

    @Test
    @DisplayName("PodReady follows the pod's Ready condition, and says plainly when the pod has not reported one")
    void readiness() {
      assertThat(PodOutcome.of(SERVER, null).podReady().reason()).isEqualTo("PodMissing");
      assertThat(PodOutcome.of(SERVER, null).phase()).isEqualTo("Pending");
      Pod pending = new PodBuilder().withNewMetadata().withName("p").endMetadata().withNewStatus().withPhase("Pending").endStatus().build();
      assertThat(PodOutcome.of(SERVER, pending).podReady().message()).contains("Pending").contains("not scheduled or not started");
      Pod ready = new PodBuilder().withNewMetadata().withName("p").endMetadata().withNewStatus().withPhase("Running")
          .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build();
      PodOutcome running = PodOutcome.of(SERVER, ready);
      assertThat(running.phase()).isEqualTo("Running");
      assertThat(running.podReady().ready()).isTrue();
    }
  }
}
