package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJobStatus;
import dev.flotilla.controller.model.HostAliasesModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PodModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.EventRecorder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
@DisplayName("PodStep: the job's pod, what to do with it, and what it reports while it waits")
class PodStepTest {

  KubernetesClient client;

  static final JobModel SERVER = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
  static final String ADDRESS = "10.1.2.3";

  PodStep step(boolean podHostAliases) {
    return new PodStep(client, new ChildApplier(client), new EventRecorder(client, Clock.systemUTC()), "flotilla-system",
        podHostAliases, null, List.of());
  }

  static JobModel endedJob(String phase) {
    JobModel job = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    IflearnerJobStatus status = new IflearnerJobStatus();
    status.setPhase(phase);
    status.setObservedGeneration(job.job().getMetadata().getGeneration());
    job.job().setStatus(status);
    return job;
  }

  static Pod withHash(Pod pod, String hash) {
    Pod copy = new PodBuilder(pod).build();
    copy.getMetadata().getAnnotations().put(PodModel.TEMPLATE_HASH_ANNOTATION, hash);
    return copy;
  }

  @Nested
  @DisplayName("desired state")
  class Desired {
    @Test
    @DisplayName("with --pod-host-aliases the pod maps the job's hosts to the context's address; without, it has none")
    void hostAliasesFollowTheAddress() {
      Pod with = step(true).desired(StepFixtures.context(SERVER, ADDRESS));
      assertThat(with.getSpec().getHostAliases()).isEqualTo(HostAliasesModel.aliases(SERVER, ADDRESS));
      assertThat(with.getSpec().getHostAliases()).isNotEmpty();
      assertThat(step(false).desired(StepFixtures.context(SERVER, ADDRESS)).getSpec().getHostAliases()).isNullOrEmpty();
      assertThat(step(true).desired(StepFixtures.context(SERVER, ADDRESS))).isEqualTo(PodModel.desired(SERVER, ADDRESS));
    }

    @Test
    @DisplayName("the address may come from the route's status when neither job nor controller names one")
    void addressFromRouteStatus() {
      JobContext context = StepFixtures.context(SERVER);
      context.routeStatusAddress("192.0.2.7");
      assertThat(step(true).desired(context)).isEqualTo(PodModel.desired(SERVER, "192.0.2.7"));
    }
  }

  @Nested
  @DisplayName("what to do")
  class Actions {
    final Pod desired = PodModel.desired(SERVER, null);

    @Test
    @DisplayName("no pod: make it; the same template hash: apply; another hash: replace; being deleted: wait for it")
    void running() {
      JobContext context = StepFixtures.context(SERVER);
      assertThat(step(false).action(context, null, desired)).isEqualTo(PodStep.Action.APPLY);
      assertThat(step(false).action(context, desired, desired)).isEqualTo(PodStep.Action.APPLY);
      assertThat(step(false).action(context, withHash(desired, "older"), desired)).isEqualTo(PodStep.Action.REPLACE);
      Pod deleting = new PodBuilder(desired).editMetadata().withDeletionTimestamp("2026-01-01T00:00:00Z").endMetadata().build();
      assertThat(step(false).action(context, deleting, desired)).isEqualTo(PodStep.Action.WAIT_FOR_DELETION);
    }

    @Test
    @DisplayName("with --pod-host-aliases and no address known, no pod is made (its aliases could not be added later)")
    void waitsForAddress() {
      assertThat(step(true).action(StepFixtures.context(SERVER), null, desired)).isEqualTo(PodStep.Action.WAIT_FOR_ADDRESS);
      assertThat(step(true).action(StepFixtures.context(SERVER, ADDRESS), null, desired)).isEqualTo(PodStep.Action.APPLY);
    }

    @Test
    @DisplayName("a job that ended keeps its pod whatever its hash, and does not get one back when it is gone")
    void ended() {
      for (String phase : List.of("Succeeded", "Failed")) {
        JobContext context = StepFixtures.context(endedJob(phase));
        assertThat(step(false).action(context, withHash(desired, "older"), desired)).isEqualTo(PodStep.Action.KEEP_ENDED);
        assertThat(step(false).action(context, null, desired)).isEqualTo(PodStep.Action.ENDED_WITHOUT_POD);
      }
    }
  }

  @Nested
  @DisplayName("while it waits")
  class Waiting {
    final Observation waiting = new Observation("PodReady", false, "WaitingForCertificatesReady", "waits for CertificatesReady");

    @Test
    @DisplayName("it makes no pod, and reports the waiting condition with the Pending outcome of no pod")
    void makesNothing() {
      JobContext context = StepFixtures.context(SERVER);
      assertThat(step(false).whileWaiting(context, waiting)).isEqualTo(waiting);
      assertThat(client.pods().inNamespace(StepFixtures.NAMESPACE).list().getItems()).isEmpty();
      assertThat(context.outcome().phase()).isEqualTo("Pending");
    }

    @Test
    @DisplayName("the pod that exists still gives the phase; an older template is not replaced meanwhile")
    void readsTheExistingPod() {
      Pod running = new PodBuilder(withHash(PodModel.desired(SERVER, null), "older")).withNewStatus().withPhase("Running")
          .endStatus().build();
      client.pods().inNamespace(StepFixtures.NAMESPACE).resource(running).create();
      JobContext context = StepFixtures.context(SERVER);
      assertThat(step(false).whileWaiting(context, waiting)).isEqualTo(waiting);
      assertThat(context.outcome().phase()).isEqualTo("Running");
      assertThat(client.pods().inNamespace(StepFixtures.NAMESPACE).withName("fashion-server").get().getMetadata().getAnnotations())
          .containsEntry(PodModel.TEMPLATE_HASH_ANNOTATION, "older");
    }

    @Test
    @DisplayName("a job that ended and lost its pod reports that, not the wait: Ended, the phase it ended with")
    void endedIsReported() {
      JobContext context = StepFixtures.context(endedJob("Succeeded"));
      Observation reported = step(false).whileWaiting(context, waiting);
      assertThat(reported.reason()).isEqualTo("Ended");
      assertThat(context.outcome().phase()).isEqualTo("Succeeded");
    }
  }
}
