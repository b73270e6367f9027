package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.EventRecorder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
@DisplayName("StepChain: steps in order, each with its own condition; failures become their own condition and an Event; dependents wait")
class StepChainTest {

  KubernetesClient client;
  EventRecorder events;
  JobModel job;
  List<String> ran;

  @BeforeEach
  void setUp() {
    events = new EventRecorder(client, Clock.systemUTC());
    job = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    ran = new ArrayList<>();
  }

  /** A step reporting {@code type}; {@code body} gives its observation or throws. */
  private final class Fake implements ReconcileStep {
    final String type;
    final List<ReconcileStep> needs;
    final Function<JobContext, Observation> body;

    Fake(String type, List<ReconcileStep> needs, Function<JobContext, Observation> body) {
      this.type = type;
      this.needs = needs;
      this.body = body;
    }

    @Override
    public String conditionType(JobModel job) {
      return type;
    }

    @Override
    public String failureReason(JobModel job) {
      return type.replace("Ready", "Failed");
    }

    @Override
    public List<ReconcileStep> needs(JobModel job) {
      return needs;
    }

    @Override
    public Observation reconcile(JobContext context) {
      ran.add(type);
      return body.apply(context);
    }
  }

  private Fake ready(String type, ReconcileStep... needs) {
    return new Fake(type, List.of(needs), c -> new Observation(type, true, "Applied", type + " done"));
  }

  private Fake throwing(String type, RuntimeException e) {
    return new Fake(type, List.of(), c -> {
      throw e;
    });
  }

  private List<Event> events() {
    return client.v1().events().inNamespace(StepFixtures.NAMESPACE).list().getItems();
  }

  @Test
  @DisplayName("every step runs in order and reports its own condition; nothing failed, no Event")
  void allReady() {
    Fake a = ready("AReady");
    Fake b = ready("BReady", a);
    JobContext context = StepFixtures.context(job);
    new StepChain(events, List.of(a, b)).run(context);
    assertThat(ran).containsExactly("AReady", "BReady");
    assertThat(context.observations()).extracting(o -> o.type() + "=" + o.ready()).containsExactly("AReady=true", "BReady=true");
    assertThat(context.failures()).isEmpty();
    assertThat(events()).isEmpty();
  }

  @Test
  @DisplayName("a failing step reports False with its own type and reason and one Warning Event; a step needing it waits, "
      + "naming it; a step not needing it still runs")
  void failureIsItsOwnConditionAndDependentsWait() {
    Fake parties = throwing("PartiesFileReady", new IllegalStateException("ConfigMap team/fashion-server-parties is immutable"));
    Fake independent = ready("ServiceReady");
    Fake pod = ready("PodReady", parties);
    JobContext context = StepFixtures.context(job);
    new StepChain(events, List.of(parties, independent, pod)).run(context);

    assertThat(ran).containsExactly("PartiesFileReady", "ServiceReady");
    assertThat(context.observation("PartiesFileReady")).isEqualTo(new Observation("PartiesFileReady", false, "PartiesFileFailed",
        "ConfigMap team/fashion-server-parties is immutable"));
    assertThat(context.observation("ServiceReady").ready()).isTrue();
    assertThat(context.observation("PodReady")).isEqualTo(new Observation("PodReady", false, "WaitingForPartiesFileReady",
        "waits for PartiesFileReady (PartiesFileFailed: ConfigMap team/fashion-server-parties is immutable)"));
    assertThat(context.failures()).containsExactly("PartiesFileFailed: ConfigMap team/fashion-server-parties is immutable");
    assertThat(events()).singleElement().satisfies(e -> {
      assertThat(e.getType()).isEqualTo("Warning");
      assertThat(e.getReason()).isEqualTo("PartiesFileFailed");
      assertThat(e.getMessage()).isEqualTo("ConfigMap team/fashion-server-parties is immutable");
      assertThat(e.getInvolvedObject().getName()).isEqualTo("fashion-server");
      assertThat(e.getInvolvedObject().getKind()).isEqualTo("IflearnerJob");
    });
  }

  @Test
  @DisplayName("a failure the job's status already reports (a retry failing the same way) adds no second Event; a new message does")
  void oneEventPerStandingFailure() {
    Fake service = throwing("ServiceReady", new IllegalStateException("port clash"));
    JobModel reported = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    dev.flotilla.controller.api.IflearnerJobStatus status = new dev.flotilla.controller.api.IflearnerJobStatus();
    status.setConditions(List.of(new io.fabric8.kubernetes.api.model.ConditionBuilder().withType("ServiceReady").withStatus("False")
        .withReason("ServiceFailed").withMessage("port clash").build()));
    reported.job().setStatus(status);
    new StepChain(events, List.of(service)).run(StepFixtures.context(reported));
    assertThat(events()).isEmpty();

    Fake other = throwing("ServiceReady", new IllegalStateException("quota exceeded"));
    JobContext context = StepFixtures.context(reported);
    new StepChain(events, List.of(other)).run(context);
    assertThat(events()).extracting(Event::getMessage).containsExactly("quota exceeded");
    assertThat(context.failures()).containsExactly("ServiceFailed: quota exceeded");
  }

  @Test
  @DisplayName("a StepFailure names its own reason; a waiting step names every step it waits for; waiting is not a failure")
  void stepFailureReasonAndSeveralUnmet() {
    Fake certificates = new Fake("CertificatesReady", List.of(), c -> {
      throw new StepFailure("Forbidden", "no Secrets here");
    });
    Fake isolation = new Fake("NetworkPolicyReady", List.of(), c -> new Observation("NetworkPolicyReady", false, "Refused", "off"));
    Fake pod = ready("PodReady", certificates, isolation);
    JobContext context = StepFixtures.context(job);
    new StepChain(events, List.of(certificates, isolation, pod)).run(context);
    assertThat(context.observation("CertificatesReady").reason()).isEqualTo("Forbidden");
    assertThat(context.observation("PodReady")).isEqualTo(new Observation("PodReady", false, "WaitingForCertificatesReady",
        "waits for CertificatesReady (Forbidden: no Secrets here); NetworkPolicyReady (Refused: off)"));
    assertThat(context.failures()).containsExactly("Forbidden: no Secrets here");
    assertThat(events()).extracting(Event::getReason).containsExactly("Forbidden");
  }

  @Test
  @DisplayName("a step that reports nothing for the job (it does not apply) holds nobody back")
  void absentConditionDoesNotBlock() {
    Fake notApplicable = new Fake("PartiesFileReady", List.of(), c -> null);
    Fake pod = ready("PodReady", notApplicable);
    JobContext context = StepFixtures.context(job);
    new StepChain(events, List.of(notApplicable, pod)).run(context);
    assertThat(context.observation("PartiesFileReady")).isNull();
    assertThat(context.observation("PodReady").ready()).isTrue();
  }

  @Test
  @DisplayName("a waiting step may read what exists: its whileWaiting answer is what is reported")
  void whileWaitingHook() {
    Fake broken = throwing("CertificatesReady", new IllegalStateException("boom"));
    ReconcileStep pod = new ReconcileStep() {
      @Override
      public String conditionType(JobModel job) {
        return "PodReady";
      }

      @Override
      public String failureReason(JobModel job) {
        return "PodFailed";
      }

      @Override
      public List<ReconcileStep> needs(JobModel job) {
        return List.of(broken);
      }

      @Override
      public Observation reconcile(JobContext context) {
        throw new AssertionError("must not act while waiting");
      }

      @Override
      public Observation whileWaiting(JobContext context, Observation waiting) {
        return new Observation(waiting.type(), false, waiting.reason(), waiting.message() + "; the pod that exists runs");
      }
    };
    JobContext context = StepFixtures.context(job);
    new StepChain(events, List.of(broken, pod)).run(context);
    assertThat(context.observation("PodReady").message()).isEqualTo("waits for CertificatesReady (CertificatesFailed: boom); the pod that exists runs");
  }

  @Test
  @DisplayName("a refusal by the API server is told by its code and its own message, without the request URL")
  void apiServerRefusal() {
    io.fabric8.kubernetes.api.model.Status status = new io.fabric8.kubernetes.api.model.StatusBuilder().withCode(422)
        .withMessage("ConfigMap \"x\" is invalid: data: Forbidden: field is immutable when `immutable` is set").build();
    Fake parties = throwing("PartiesFileReady", new io.fabric8.kubernetes.client.KubernetesClientException(
        "Failure executing: PATCH at: https://127.0.0.1:6443/api/v1/namespaces/team/configmaps/x. Message: ...", 422, status));
    JobContext context = StepFixtures.context(job);
    new StepChain(events, List.of(parties)).run(context);
    assertThat(context.observation("PartiesFileReady").message())
        .isEqualTo("the API server refused it (422): ConfigMap \"x\" is invalid: data: Forbidden: field is immutable when `immutable` is set");
  }

  @Test
  @DisplayName("a step that needs a step running after it is a wiring mistake, said at once")
  void needsMustRunEarlier() {
    Fake later = ready("LaterReady");
    Fake early = ready("EarlyReady", later);
    assertThatThrownBy(() -> new StepChain(events, List.of(early, later)).run(StepFixtures.context(job)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("needs")
        .hasMessageContaining("which does not run before it");
  }
}
