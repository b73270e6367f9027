package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.IngressAddressChoice;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PodOutcome;
import dev.flotilla.controller.model.PublishPolicy;
import dev.flotilla.controller.model.StatusModel.Observation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one reconcile of one job has found so far, passed from step to step: the job as read at the
 * start, its model, each step's observation (by condition type), the address the route's controller
 * published, the pod's outcome, the failures, and whether to come back soon.
 */
public final class JobContext {

  private final IflearnerJob job;
  private final JobModel model;
  private final PublishPolicy publish;
  private final String controllerIngressAddress;
  private final Map<String, Observation> observations = new LinkedHashMap<>();
  private final List<String> failures = new ArrayList<>();
  private String routeStatusAddress;
  private String routeStatusSource = IngressAddressChoice.FROM_INGRESS_STATUS;
  private PodOutcome outcome;
  private io.fabric8.kubernetes.api.model.Pod pod;
  private boolean requeue;
  private String tlsSecretName;
  private final Map<Integer, String> podTlsSecretNames = new java.util.HashMap<>();
  private dev.flotilla.controller.model.PartyPodsOutcome partyPods;
  private List<dev.flotilla.controller.api.MemberStatus> members;

  /**
   * @param publish where the job may choose its own DNS address
   * @param controllerIngressAddress the controller's {@code --ingress-address}, or null
   */
  public JobContext(JobModel model, PublishPolicy publish, String controllerIngressAddress) {
    this.job = model.job();
    this.model = model;
    this.publish = publish;
    this.controllerIngressAddress = controllerIngressAddress;
  }

  /** The Secret the pod mounts as its identity: {@code <job>-tls} unless the certificates step chose an enrolled one. */
  public String tlsSecretName() {
    return tlsSecretName != null ? tlsSecretName : model.tlsSecretName();
  }

  public void tlsSecretName(String name) {
    this.tlsSecretName = name;
  }

  /** The Secret party pod {@code pod} of an N-pod job mounts: {@code <pod>-tls} unless the certificates step chose an enrolled one. */
  public String tlsSecretName(JobModel pod) {
    return podTlsSecretNames.getOrDefault(pod.podIndex(), pod.tlsSecretName());
  }

  public void podTlsSecretName(int podIndex, String name) {
    podTlsSecretNames.put(podIndex, name);
  }

  /** A placed job's member clusters and their phases, for its status; null when not placed. */
  public List<dev.flotilla.controller.api.MemberStatus> members() {
    return members;
  }

  public void members(List<dev.flotilla.controller.api.MemberStatus> members) {
    this.members = members;
  }

  public IflearnerJob job() {
    return job;
  }

  public JobModel model() {
    return model;
  }

  /** Records a step's observation; a later one of the same type replaces it. */
  public void observe(Observation observation) {
    observations.put(observation.type(), observation);
  }

  /** The observation of a condition type, or null when no step reported it. */
  public Observation observation(String type) {
    return observations.get(type);
  }

  /** Every observation, in the order the steps reported them. */
  public List<Observation> observations() {
    return List.copyOf(observations.values());
  }

  void failed(String summary) {
    failures.add(summary);
  }

  /** One line per step that failed ({@code reason: message}); empty when none did. */
  public List<String> failures() {
    return List.copyOf(failures);
  }

  /** The route step tells the address its controller published in the route's status (null: none yet). */
  public void routeStatusAddress(String address) {
    routeStatusAddress(address, IngressAddressChoice.FROM_INGRESS_STATUS);
  }

  /** As above, naming where the address comes from (the Ingress status, the Gateway status) for messages. */
  public void routeStatusAddress(String address, String source) {
    this.routeStatusAddress = address;
    this.routeStatusSource = source;
  }

  /** The address the job's DNS record answers and its pod may reach: spec, controller flag, or route status. */
  public IngressAddressChoice address() {
    return IngressAddressChoice.choose(model, publish, controllerIngressAddress, routeStatusAddress, routeStatusSource);
  }

  public void outcome(PodOutcome outcome) {
    this.outcome = outcome;
  }

  /** What the pod says about the job, or null when the pod step did not look. */
  public PodOutcome outcome() {
    return outcome;
  }

  /** The pod step tells the job's pod as it found or made it (null: none). */
  public void pod(io.fabric8.kubernetes.api.model.Pod pod) {
    this.pod = pod;
  }

  /** The job's pod as the pod step left it, or null (no pod, or the step did not run). */
  public io.fabric8.kubernetes.api.model.Pod pod() {
    return pod;
  }

  /** The party pods of a job with spec.virtualPartyPods, counted for its status. */
  public void partyPods(dev.flotilla.controller.model.PartyPodsOutcome pods) {
    this.partyPods = pods;
  }

  /** The party pods' outcome, or null (a job of one pod, or the pod step did not look). */
  public dev.flotilla.controller.model.PartyPodsOutcome partyPods() {
    return partyPods;
  }

  /** Come back soon even without an event (a pod is being replaced). */
  public void requeue() {
    this.requeue = true;
  }

  public boolean requeueRequested() {
    return requeue;
  }
}
