package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJobStatus;
import dev.flotilla.protocol.status.JobSummary;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the job's status from what a reconcile found; keeps transition times of unchanged
 * conditions, and the learning progress last reported until a newer report replaces it, so the same
 * observations give an equal status (and no write).
 */
public final class StatusModel {

  /** Whether the controller serves the job at all ({@link HostAdmission}); False: nothing else is made. */
  public static final String HOST_ACCEPTED = "HostAccepted";
  /** Only for a job with spec.privacy: whether its budget can be kept (see {@link PrivacyModel}). */
  public static final String PRIVACY_ACCEPTED = "PrivacyAccepted";
  /** Only for a job declaring virtual parties: whether its pods can be built as its spec says ({@link VirtualPartiesCheck}). */
  public static final String VIRTUAL_PARTIES_ACCEPTED = "VirtualPartiesAccepted";
  /** The conditions that, False, refuse the job: the controller made nothing for it. */
  static final List<String> REFUSING = List.of(HOST_ACCEPTED, PRIVACY_ACCEPTED, VIRTUAL_PARTIES_ACCEPTED);
  public static final String CERTIFICATES_READY = "CertificatesReady";
  public static final String SERVICE_READY = "ServiceReady";
  public static final String INGRESS_READY = "IngressReady";
  /** The route step's condition for a job with {@code spec.route: gateway}, in place of IngressReady. */
  public static final String TLS_ROUTE_READY = "TLSRouteReady";
  public static final String NETWORK_POLICY_READY = "NetworkPolicyReady";
  public static final String DNS_READY = "DNSReady";
  /** A Flotilla server's parties file (the ConfigMap its pod mounts); other jobs have none and no such condition. */
  public static final String PARTIES_FILE_READY = "PartiesFileReady";
  public static final String POD_READY = "PodReady";
  /** The order conditions are listed in; a type not listed here (a newer step's) follows them in the order it was observed. */
  public static final List<String> CONDITION_TYPES = List.of(HOST_ACCEPTED, PRIVACY_ACCEPTED, VIRTUAL_PARTIES_ACCEPTED, CERTIFICATES_READY, DNS_READY, SERVICE_READY,
      INGRESS_READY, TLS_ROUTE_READY, NETWORK_POLICY_READY, PARTIES_FILE_READY, POD_READY);

  public static final String PHASE_ERROR = "Error";
  public static final String PHASE_PENDING = "Pending";
  /** The job was refused (one of {@link #REFUSING} False): the controller made nothing for it. */
  public static final String PHASE_REFUSED = "Refused";
  /** Handed to a multi-cluster engine ({@value PlacementModel#PLACEMENT_READY} True): it runs in member clusters. */
  public static final String PHASE_PLACED = "Placed";

  private StatusModel() {}

  /** One observation: a condition type's status, reason and message. */
  public record Observation(String type, boolean ready, String reason, String message) {}

  /**
   * The status after a reconcile. {@code previous} may be null; {@code outcome} may be null (the pod
   * step did not run); {@code failed} says the reconcile hit an error (phase Error, unless the pod
   * already ended: a finished job stays Succeeded or Failed whatever happens to its children).
   */
  public static IflearnerJobStatus build(JobModel job, IflearnerJobStatus previous, List<Observation> observations,
      PodOutcome outcome, boolean failed, Instant now) {
    return build(job, previous, observations, outcome, null, failed, now);
  }

  /**
   * The same, with {@code live}: the aggregator's progress as the controller last polled it while the
   * job runs (null when there is none). The pod's termination summary, the final word, wins over it.
   * A summary's own time ({@code updatedUnixMillis}) is not copied, so polling an aggregator whose
   * progress did not move gives an equal status, and no write.
   */
  public static IflearnerJobStatus build(JobModel job, IflearnerJobStatus previous, List<Observation> observations,
      PodOutcome outcome, JobSummary live, boolean failed, Instant now) {
    IflearnerJobStatus status = new IflearnerJobStatus();
    status.setObservedGeneration(job.job().getMetadata().getGeneration());
    boolean refused = observations.stream()
        .anyMatch(o -> REFUSING.contains(o.type()) && !o.ready());
    status.setTlsMode(job.tlsMode().wireName());
    if (!refused) {
      status.setEndpoint(job.hasHost() ? job.host() + ":443" : job.serviceName() + "." + job.namespace() + ".svc:" + job.grpcPort());
    }
    copyProgress(previous, status);
    if (live != null) {
      progress(live, status);
    }
    if (outcome != null) {
      outcome.summary().ifPresent(s -> progress(s, status));
    }
    List<Condition> conditions = new ArrayList<>();
    List<Condition> before = previous == null || previous.getConditions() == null ? List.of() : previous.getConditions();
    for (String type : CONDITION_TYPES) {
      observations.stream().filter(o -> o.type().equals(type)).findFirst()
          .ifPresent(o -> conditions.add(condition(o, before, job.job().getMetadata().getGeneration(), now)));
    }
    observations.stream().filter(o -> !CONDITION_TYPES.contains(o.type())).map(Observation::type).distinct()
        .forEach(type -> observations.stream().filter(o -> o.type().equals(type)).findFirst()
            .ifPresent(o -> conditions.add(condition(o, before, job.job().getMetadata().getGeneration(), now))));
    status.setConditions(conditions);
    boolean ended = outcome != null && (outcome.phase().equals(PodOutcome.SUCCEEDED) || outcome.phase().equals(PodOutcome.FAILED));
    if (refused) {
      status.setPhase(PHASE_REFUSED);
    } else if (ended) {
      status.setPhase(outcome.phase());
    } else if (failed) {
      status.setPhase(PHASE_ERROR);
    } else if (observations.stream().anyMatch(o -> o.type().equals(PlacementModel.PLACEMENT_READY) && o.ready())) {
      status.setPhase(PHASE_PLACED);
    } else {
      status.setPhase(outcome == null ? PHASE_PENDING : outcome.phase());
    }
    return status;
  }

  /** The progress fields of a summary: rounds done and total, parties, newest accuracy and loss, final accuracy. */
  static void progress(JobSummary s, IflearnerJobStatus status) {
    status.setRound(s.roundsCompleted());
    status.setRounds(s.roundsTotal());
    status.setPartiesConnected(s.partiesConnected());
    status.setPartiesExpected(s.partiesExpected());
    status.setAccuracy(s.lastAccuracy());
    status.setLoss(s.lastLoss());
    status.setFinalAccuracy(s.finalAccuracy());
    status.setLastRoundTime(s.lastRoundUnixMillis() == null ? null
        : Instant.ofEpochMilli(s.lastRoundUnixMillis()).truncatedTo(ChronoUnit.SECONDS).toString());
    status.setEpsilonSpent(s.epsilonSpent());
    status.setEndReason(s.endReason());
  }

  private static void copyProgress(IflearnerJobStatus from, IflearnerJobStatus to) {
    if (from == null) {
      return;
    }
    to.setRound(from.getRound());
    to.setRounds(from.getRounds());
    to.setPartiesConnected(from.getPartiesConnected());
    to.setPartiesExpected(from.getPartiesExpected());
    to.setAccuracy(from.getAccuracy());
    to.setLoss(from.getLoss());
    to.setFinalAccuracy(from.getFinalAccuracy());
    to.setLastRoundTime(from.getLastRoundTime());
    to.setEpsilonSpent(from.getEpsilonSpent());
    to.setEndReason(from.getEndReason());
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
