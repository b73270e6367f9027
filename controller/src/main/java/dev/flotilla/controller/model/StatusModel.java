package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJobStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Builds the job's status from what a reconcile found; keeps transition times of unchanged conditions. */
public final class StatusModel {

  /** Whether the controller serves the job at all ({@link HostAdmission}); False: nothing else is made. */
  public static final String HOST_ACCEPTED = "HostAccepted";
  public static final String CERTIFICATES_READY = "CertificatesReady";
  public static final String DNS_READY = "DNSReady";
  public static final String INGRESS_READY = "IngressReady";
  public static final String POD_READY = "PodReady";
  public static final List<String> CONDITION_TYPES = List.of(HOST_ACCEPTED, CERTIFICATES_READY, DNS_READY, INGRESS_READY, POD_READY);

  public static final String PHASE_ERROR = "Error";
  public static final String PHASE_PENDING = "Pending";
  /** The job was refused ({@value #HOST_ACCEPTED} False): the controller made nothing for it. */
  public static final String PHASE_REFUSED = "Refused";

  private StatusModel() {}

  /** One observation: a condition type's status, reason and message. */
  public record Observation(String type, boolean ready, String reason, String message) {}

  /**
   * The status after a reconcile. {@code previous} may be null; {@code pod} may be null (not
   * created yet); {@code failed} says the reconcile hit an error (phase Error).
   */
  public static IflearnerJobStatus build(JobModel job, IflearnerJobStatus previous, List<Observation> observations,
      Pod pod, boolean failed, Instant now) {
    IflearnerJobStatus status = new IflearnerJobStatus();
    status.setObservedGeneration(job.job().getMetadata().getGeneration());
    boolean refused = observations.stream().anyMatch(o -> o.type().equals(HOST_ACCEPTED) && !o.ready());
    status.setTlsMode(job.tlsMode().wireName());
    if (!refused) {
      status.setEndpoint(job.hasHost() ? job.host() + ":443" : job.serviceName() + "." + job.namespace() + ".svc:" + job.grpcPort());
    }
    status.setRound(previous == null ? null : previous.getRound());
    List<Condition> conditions = new ArrayList<>();
    List<Condition> before = previous == null || previous.getConditions() == null ? List.of() : previous.getConditions();
    for (String type : CONDITION_TYPES) {
      observations.stream().filter(o -> o.type().equals(type)).findFirst()
          .ifPresent(o -> conditions.add(condition(o, before, job.job().getMetadata().getGeneration(), now)));
    }
    status.setConditions(conditions);
    if (refused) {
      status.setPhase(PHASE_REFUSED);
    } else if (failed) {
      status.setPhase(PHASE_ERROR);
    } else if (pod == null || pod.getStatus() == null || pod.getStatus().getPhase() == null) {
      status.setPhase(PHASE_PENDING);
    } else {
      status.setPhase(pod.getStatus().getPhase());
    }
    return status;
  }

  /** The PodReady observation from the pod's own Ready condition. */
  public static Observation podReady(Pod pod) {
    if (pod == null) {
      return new Observation(POD_READY, false, "PodMissing", "the pod does not exist yet");
    }
    if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
      for (var c : pod.getStatus().getConditions()) {
        if ("Ready".equals(c.getType())) {
          boolean ready = "True".equals(c.getStatus());
          return new Observation(POD_READY, ready, ready ? "PodReady" : "PodNotReady",
              c.getMessage() != null ? c.getMessage() : "pod " + pod.getMetadata().getName() + " Ready=" + c.getStatus());
        }
      }
    }
    String phase = pod.getStatus() == null || pod.getStatus().getPhase() == null ? "Pending" : pod.getStatus().getPhase();
    return new Observation(POD_READY, false, "PodNotReady",
        "pod " + pod.getMetadata().getName() + " is " + phase + " and has not reported Ready (not scheduled or not started)");
  }

  private static Condition condition(Observation o, List<Condition> before, Long generation, Instant now) {
    String status = o.ready() ? "True" : "False";
    String transition = before.stream()
        .filter(c -> c.getType().equals(o.type()) && status.equals(c.getStatus()))
        .map(Condition::getLastTransitionTime)
        .findFirst()
        .orElse(now.truncatedTo(ChronoUnit.SECONDS).toString());
    return new ConditionBuilder()
        .withType(o.type())
        .withStatus(status)
        .withReason(o.reason())
        .withMessage(o.message())
        .withObservedGeneration(generation)
        .withLastTransitionTime(transition)
        .build();
  }
}
